/** `POST /admin/api/cohorts` and `PUT /admin/api/cohorts/:id` (ministry only): the same checks and upsert as `cohort upsert`. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AdminRoutes } from '../../admin/http-types.js';
import { principalOf } from '../../admin/http-types.js';
import { ScopeError, type AuditSink } from '../../admin/scope.js';
import { CliInputError, cohortFromOptions, cohortJson } from '../../cli/cohort.js';
import { upsertCohort } from '../../storage/cohorts.js';
import type { Models } from '../../storage/models.js';
import type { Cohort } from '../../core/model.js';

export interface CohortRouteDeps {
  models: Models;
  audit: AuditSink;
  /** The content's course ids. */
  courses: ReadonlySet<string>;
  timezone: string;
}

const fields = z.object({
  course: z.string().min(1).max(64),
  opens: z.string().min(1).max(40).describe('ISO-8601 instant; without an offset it is read in TIMEZONE'),
  closes: z.string().min(1).max(40),
  title: z.string().max(200).optional(),
  reminders: z.union([z.string().max(200), z.array(z.string().max(20)).max(20)]).optional().describe('ISO-8601 durations before closing, e.g. P7D,P3D,PT3H'),
  quietHours: z.string().max(20).optional().describe('HH:MM-HH:MM, or none'),
  lessonHour: z.coerce.number().int().min(0).max(23).optional(),
});

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a cohort id is 1–64 letters, digits, _ or -');

export function cohortRoutes(deps: CohortRouteDeps): AdminRoutes {
  const m = deps.models;
  const read = async (cohortId: string): Promise<Cohort | null> => {
    const doc = await m.Cohort.findById(cohortId).lean<Record<string, unknown>>();
    if (!doc) return null;
    const { _id, managedBy: _m, ...rest } = doc;
    return { ...rest, id: String(_id) } as unknown as Cohort;
  };
  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const upsert = async (req: { admin?: unknown; ip: string }, cohortId: string, body: z.infer<typeof fields>) => {
      const me = principalOf(req as never);
      if (me.scope.kind !== 'ministry') throw new ScopeError('only a ministry account may create or change cohorts');
      const existing = await read(cohortId);
      let cohort;
      try {
        cohort = cohortFromOptions(
          {
            id: cohortId,
            course: body.course,
            opens: body.opens,
            closes: body.closes,
            title: body.title,
            reminders: Array.isArray(body.reminders) ? body.reminders.join(',') : body.reminders,
            quietHours: body.quietHours,
            lessonHour: body.lessonHour === undefined ? undefined : String(body.lessonHour),
          },
          deps.courses,
          deps.timezone,
          existing,
        );
      } catch (err) {
        if (err instanceof CliInputError) throw Object.assign(new Error(err.message.replace(/--/g, '').replace(/\n/g, '; ')), { statusCode: 400 });
        throw err;
      }
      await upsertCohort(m, cohort);
      await deps.audit.record({ actor: me, action: existing ? 'cohort.update' : 'cohort.create', target: cohortId, detail: { course: body.course }, from: req.ip });
      return { created: !existing, cohort: cohortJson((await read(cohortId))!, deps.timezone) };
    };

    r.post('/cohorts', { schema: { summary: 'create or update a cohort (ministry only)', tags: ['cohorts'], body: fields.extend({ id }) } }, async (req, reply) => {
      const out = await upsert(req, req.body.id, req.body);
      return reply.code(out.created ? 201 : 200).send(out.cohort);
    });
    r.put('/cohorts/:id', { schema: { summary: 'create or update a cohort (ministry only)', tags: ['cohorts'], params: z.object({ id }), body: fields } }, async (req) => {
      return (await upsert(req, req.params.id, req.body)).cohort;
    });
  };
}
