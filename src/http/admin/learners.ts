/**
 * `GET /admin/api/learners` (filtered, searched, paginated) and `GET /admin/api/learners/:id`
 * (one learner's full history). A province account sees only its province; asking for another is 403.
 * The listing reads the kept rows in Redis when every cohort it covers is built (kept-learners.ts:
 * milliseconds, pages in the hash's order), else scans the learners in `_id` order.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Types, trusted } from 'mongoose';
import { z } from 'zod';
import type { AdminRoutes } from '../../admin/http-types.js';
import { principalOf } from '../../admin/http-types.js';
import { covers, provinceFor, ScopeError } from '../../admin/scope.js';
import { fold } from '../../admin/accounts.js';
import { ROLES, type Learner } from '../../core/model.js';
import type { Models } from '../../storage/models.js';
import { enrolmentId, toEnrolment, toLearner } from '../../storage/stores.js';
import type { MongoCertificateStore } from '../../storage/certificates.js';
import type { KeptLearners, KeptRow, ListFilter, ListPosition } from '../../admin/stats/kept-learners.js';
import { searchKeys } from '../../admin/stats/rows.js';
import { MongoOutboundFailures } from '../../storage/outbound-failures.js';

export interface LearnerViewDeps {
  models: Models;
  certificates: Pick<MongoCertificateStore, 'findFor'>;
  /** Messages that failed for good, as the send workers recorded them. @defaultValue `outbound_failures` on the models' connection */
  failures?: Pick<MongoOutboundFailures, 'forLearner'>;
  /** The kept rows, and the cohorts a listing without a cohort covers. Without it: always the scan. */
  kept?: { learners: KeptLearners; cohorts(): Promise<string[]> };
}

const STATUSES = ['not_started', 'in_progress', 'completed', 'certified'] as const;
/** At most this many learners are read for one page: a page may come back short, with `next` to go on from. */
const SCAN_PER_PAGE = 5_000;

const listQuery = z.object({
  cohort: z.string().max(64).optional(),
  province: z.string().max(80).optional(),
  commune: z.string().max(120).optional(),
  role: z.enum(ROLES as unknown as [string, ...string[]]).optional(),
  status: z.enum(STATUSES).optional(),
  q: z.string().max(120).optional().describe('part of the name, phone or commune; accents and case do not matter'),
  after: z.string().optional().describe('the `next` of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

function learnerJson(l: Learner) {
  return {
    id: l.id,
    profile: l.profile,
    cohortId: l.cohortId,
    locale: l.locale,
    onboarded: l.onboarded,
    stopped: l.stopped,
    conversations: l.conversations,
    unreachable: l.unreachable,
    createdAt: new Date(l.createdAt).toISOString(),
  };
}

function searched(l: Learner, needle: string | undefined): boolean {
  return !needle || searchKeys(l.profile as Record<string, unknown>).some((k) => k.includes(needle));
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** A kept row as the scan shows the learner (same fields, same order). */
function keptJson(r: KeptRow) {
  const l = r.row.l!;
  const profile: Record<string, string> = {};
  for (const k of ['fullName', 'role', 'province', 'district', 'commune', 'phone'] as const) {
    const v = l[k];
    if (typeof v === 'string') profile[k] = v;
  }
  return {
    id: r.id,
    profile,
    cohortId: r.cohortId,
    locale: l.locale,
    onboarded: l.onboarded,
    stopped: l.stopped === true,
    conversations: list(l.conversations),
    unreachable: list(l.unreachable),
    createdAt: l.joinedAt,
    status: r.row.e?.status ?? null,
  };
}

/** `next` of a page read from the kept rows: opaque to the client. */
function keptCursor(p: ListPosition): string {
  return `k${Buffer.from(JSON.stringify([p.cohort, p.cursor, p.skip])).toString('base64url')}`;
}

function keptPosition(after: string): ListPosition | null {
  if (!/^k[A-Za-z0-9_-]{1,400}$/.test(after)) return null;
  try {
    const [cohort, cursor, skip] = JSON.parse(Buffer.from(after.slice(1), 'base64url').toString('utf8')) as unknown[];
    if (typeof cohort !== 'string' || typeof cursor !== 'string' || !/^\d{1,20}$/.test(cursor) || !Number.isInteger(skip) || (skip as number) < 0 || (skip as number) > 100_000) return null;
    return { cohort, cursor, skip: skip as number };
  } catch {
    return null;
  }
}

export function learnerRoutes(deps: LearnerViewDeps): AdminRoutes {
  const m = deps.models;
  const failures = deps.failures ?? new MongoOutboundFailures(m.Learner.db);
  const broadcastDeliveries = m.Learner.db.collection('broadcast_deliveries');
  /** The scan: learners in `_id` order, at most SCAN_PER_PAGE read for a page, each one's enrolment read by `_id`. */
  const scanPage = async (cohort: string | undefined, f: ListFilter, after: string | undefined, limit: number) => {
    // Strings only, cast: no operator from the query string reaches the filter.
    const filter: Record<string, unknown> = {};
    if (cohort) filter.cohortId = String(cohort);
    if (f.province) filter['profile.province'] = f.province;
    if (f.commune) filter['profile.commune'] = f.commune;
    if (f.role) filter['profile.role'] = f.role;
    if (after) filter._id = { $gt: new Types.ObjectId(after) };
    // FerretDB 1.24 serves only exact _id filters from an index: this reads the collection, bounded per page by SCAN_PER_PAGE.
    const cursor = m.Learner.collection.find(filter).sort({ _id: 1 }).limit(SCAN_PER_PAGE);
    const page: { learner: Learner; status: string | null }[] = [];
    let last: string | null = null;
    let scanned = 0;
    try {
      for await (const doc of cursor) {
        scanned += 1;
        last = String(doc._id);
        const l = toLearner(doc);
        if (!searched(l, f.needle)) continue;
        const status = await statusOf(l);
        if (f.status && status !== f.status) continue;
        page.push({ learner: l, status });
        if (page.length === limit) break;
      }
    } finally {
      await cursor.close();
    }
    const more = page.length === limit || scanned === SCAN_PER_PAGE;
    return { learners: page.map((p) => ({ ...learnerJson(p.learner), status: p.status })), next: more ? last : null };
  };

  const statusOf = async (l: Learner): Promise<string | null> => {
    const enrolment = await m.Enrolment.collection.findOne({ _id: enrolmentId(l.id, l.cohortId) as never }, { projection: { status: 1 } });
    return enrolment ? String(enrolment.status) : null;
  };

  /** A row the script could not decide (its learner part predates the search keys): decided from the records, as the scan would. */
  const decide = async (r: KeptRow, f: ListFilter) => {
    const doc = Types.ObjectId.isValid(r.id) ? await m.Learner.collection.findOne({ _id: new Types.ObjectId(r.id) }) : null;
    if (!doc) return null;
    const l = toLearner(doc);
    if (l.cohortId !== r.cohortId || (f.province && l.profile.province !== f.province) || (f.commune && l.profile.commune !== f.commune) || (f.role && l.profile.role !== f.role) || !searched(l, f.needle)) return null;
    const status = await statusOf(l);
    if (f.status && status !== f.status) return null;
    return { ...learnerJson(l), status };
  };

  const keptPage = async (kept: KeptLearners, cohorts: string[], f: ListFilter, from: ListPosition | null, limit: number) => {
    const { rows, next } = await kept.list(cohorts, f, from, limit);
    const learners = [];
    for (const r of rows) {
      const json = r.unsure ? await decide(r, f) : keptJson(r);
      if (json) learners.push(json);
    }
    return { learners, next: next && keptCursor(next) };
  };

  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get('/learners', { schema: { summary: 'learners, filtered and searched, by cursor', tags: ['learners'], querystring: listQuery } }, async (req, reply) => {
      const query = req.query;
      const province = provinceFor(principalOf(req).scope, query.province?.normalize('NFC'));
      const filter: ListFilter = {
        ...(province ? { province: String(province) } : {}),
        ...(query.commune ? { commune: String(query.commune.normalize('NFC')) } : {}),
        ...(query.role ? { role: String(query.role) } : {}),
        ...(query.status ? { status: String(query.status) } : {}),
        ...(query.q ? { needle: fold(query.q) } : {}),
      };
      const malformed = () => reply.code(400).send({ ok: false, error: 'malformed cursor: use the `next` of the previous page' });
      // A cursor of the scan goes on scanning; one of the kept rows goes on there (or starts again if they are gone).
      const position = query.after !== undefined && !Types.ObjectId.isValid(query.after) ? keptPosition(query.after) : null;
      if (query.after !== undefined && !Types.ObjectId.isValid(query.after) && !position) return malformed();
      if (deps.kept && (query.after === undefined || position)) {
        const cohorts = query.cohort ? [String(query.cohort)] : await deps.kept.cohorts();
        if (await deps.kept.learners.servable(cohorts)) {
          if (position && !cohorts.includes(position.cohort)) return malformed();
          return keptPage(deps.kept.learners, cohorts, filter, position, query.limit);
        }
        if (position) return reply.code(409).send({ ok: false, error: 'the listing changed meanwhile: start again from the first page' });
      }
      return scanPage(query.cohort, filter, query.after, query.limit);
    });

    r.get(
      '/learners/:id',
      { schema: { summary: "a learner's full history: enrolment, answers, final-test attempts, messages sent, held and failed, certificate", tags: ['learners'], params: z.object({ id: z.string().max(64) }) } },
      async (req, reply) => {
        const { id } = req.params;
        if (!Types.ObjectId.isValid(id) || String(new Types.ObjectId(id)) !== id) return reply.code(400).send({ ok: false, error: 'a learner id is 24 hexadecimal digits' });
        const doc = await m.Learner.findById(id).lean();
        if (!doc) return reply.code(404).send({ ok: false, error: 'no such learner' });
        const learner = toLearner(doc);
        if (!covers(principalOf(req).scope, learner.profile.province)) throw new ScopeError('this learner is in another province');
        // By _id: the enrolment in the learner's cohort and its certificate.
        const enrolmentDoc = await m.Enrolment.findById(enrolmentId(learner.id, learner.cohortId)).lean();
        const enrolment = enrolmentDoc ? toEnrolment(enrolmentDoc) : null;
        const certificate = await deps.certificates.findFor(learner.id, learner.cohortId);
        // Scans by learner (no _id key exists for these): acceptable for one admin view, never on a hot path.
        const answers = await m.Answer.find({ learnerId: learner.id }).sort({ at: 1 }).lean<Record<string, unknown>[]>();
        const held = learner.conversations.length ? await m.HeldMessage.find({ conversation: trusted({ $in: learner.conversations.map(String) }) }).lean<Record<string, unknown>[]>() : [];
        const scheduled = await m.ScheduledSend.find({ learnerId: learner.id }).lean<Record<string, unknown>[]>();
        const broadcasts = await broadcastDeliveries.find({ learnerId: String(learner.id) }, { projection: { owner: 0 } }).sort({ at: 1 }).limit(500).toArray();
        const failed = await failures.forLearner(learner.id, learner.conversations);
        return {
          learner: learnerJson(learner),
          enrolment: enrolment && {
            id: enrolment.id,
            cohortId: enrolment.cohortId,
            courseId: enrolment.courseId,
            status: enrolment.status,
            completedLessons: enrolment.completedLessons,
            checkResults: enrolment.checkResults,
            lastActivityAt: enrolment.lastActivityAt,
          },
          answers: answers.map(({ _id, slot: _s, ...a }) => a),
          finalAttempts: enrolment?.finalAttempts ?? [],
          heldMessages: held.map(({ _id, ...h }) => ({ id: String(_id), ...h })),
          // Scheduled messages by state: `claimed` without `doneAt` is one not (yet) delivered.
          scheduledMessages: scheduled.map(({ _id, ...s }) => ({ id: String(_id), ...s })),
          broadcastDeliveries: broadcasts.map(({ _id, ...b }) => ({ id: String(_id), ...b })),
          // Send jobs that failed for good (blocked, refused, or out of retries): what the learner did not receive.
          failedMessages: failed,
          // Replies are not stored one by one: sent counts the scheduled messages, broadcasts and the certificate that went out.
          messages: {
            sent: scheduled.filter((x) => x.state === 'sent').length + broadcasts.filter((b) => b.state === 'sent').length + (certificate?.sentAt ? 1 : 0),
            held: held.length,
            failed: failed.length,
          },
          certificate: certificate && {
            serial: certificate.serial,
            code: certificate.code,
            issuedAt: certificate.issuedAt,
            sentAt: certificate.sentAt ?? null,
            revoked: certificate.revoked ?? null,
          },
        };
      },
    );
  };
}
