/**
 * Mongoose schemas and their indexes. Every query the tutor and the sweeps make is
 * served by one of the indexes declared here (FerretDB 1.24 and MongoDB 6+ both build them).
 */
import { Schema, type Connection } from 'mongoose';
import { reviewDeckSchema } from './review.js';

const learnerSchema = new Schema(
  {
    conversations: { type: [String], default: [] },
    unreachable: { type: [String], default: [] },
    profile: {
      fullName: String,
      role: String,
      province: String,
      district: String,
      commune: String,
      phone: String,
    },
    locale: { type: String, required: true },
    cohortId: { type: String, required: true },
    inviteCode: String,
    consent: Boolean,
    lessonHour: Number,
    stopped: { type: Boolean, default: false },
    onboarded: { type: Boolean, default: false },
    prompt: String,
    createdAt: { type: Date, required: true },
    version: { type: Number, default: 0 },
  },
  { collection: 'learners', versionKey: false, minimize: false },
);
learnerSchema.index({ conversations: 1 });
learnerSchema.index({ inviteCode: 1 }, { unique: true, sparse: true });
learnerSchema.index({ cohortId: 1, _id: 1 });
// Daily-lesson sweep: a cohort's learners whose lesson hour has come, in _id order from a checkpoint.
learnerSchema.index({ cohortId: 1, lessonHour: 1, _id: 1 });

/** `_id` is `<learnerId>|<cohortId>` (enrolmentId()): the enrolment is found by `_id` alone, the one lookup FerretDB 1.24 answers from an index. */
const enrolmentSchema = new Schema(
  {
    _id: { type: String, required: true },
    learnerId: { type: String, required: true },
    cohortId: { type: String, required: true },
    courseId: { type: String, required: true },
    status: { type: String, required: true },
    cursor: { type: Schema.Types.Mixed, required: true },
    completedLessons: { type: [String], default: [] },
    checkResults: { type: Schema.Types.Mixed, default: {} },
    finalAttempts: { type: [Schema.Types.Mixed], default: [] },
    lastActivityAt: { type: Date, required: true },
    /** The earliest due review item, copied from the review deck for the daily-lesson sweep. */
    reviewDueAt: Date,
    version: { type: Number, default: 0 },
    /** The sweeps' copy of the learner (src/storage/learner-facts.ts). */
    learnerFacts: { type: Schema.Types.Mixed },
    /** The admin reports' copy of the learner's profile (src/storage/learner-facts.ts). */
    learnerProfile: { type: Schema.Types.Mixed },
  },
  { collection: 'enrolments', versionKey: false, minimize: false },
);
// A cohort's enrolments by status (segments, stats).
enrolmentSchema.index({ cohortId: 1, status: 1, _id: 1 });
// Reminder sweep: a cohort's enrolments in learnerId order from a checkpoint, status read from the index,
// merged with the cohort's learners in _id order ({ cohortId, _id } on learners): two index scans, no join.
enrolmentSchema.index({ cohortId: 1, learnerId: 1, status: 1 });
// Nudge sweep: a cohort's enrolments whose last activity fell in [from, to).
enrolmentSchema.index({ cohortId: 1, lastActivityAt: 1 });

const answerSchema = new Schema(
  {
    learnerId: { type: String, required: true },
    cohortId: { type: String, required: true },
    questionId: { type: String, required: true },
    chosenIndex: { type: Number, required: true },
    correct: { type: Boolean, required: true },
    context: { type: String, required: true },
    attempt: Number,
    channel: { type: String, required: true },
    updateId: { type: String, required: true },
    /** learner:cohort:context[:attempt]:question: one answer per question slot. */
    slot: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'answers', versionKey: false },
);
answerSchema.index({ channel: 1, updateId: 1 }, { unique: true });
answerSchema.index({ slot: 1 }, { unique: true });
answerSchema.index({ learnerId: 1, cohortId: 1, at: 1 });

const cohortSchema = new Schema(
  {
    _id: { type: String, required: true },
    courseId: { type: String, required: true },
    title: String,
    opensAt: { type: Date, required: true },
    closesAt: { type: Date, required: true },
    reminders: { type: [String], default: [] },
    quietHours: { type: Schema.Types.Mixed, default: null },
    lessonHour: { type: Number, required: true },
    usesDistrict: { type: Boolean, default: false },
    provinceList: { type: String, required: true },
    /** 'cli' once an administrator changed it with the CLI: content no longer overwrites it. */
    managedBy: String,
  },
  { collection: 'cohorts', versionKey: false },
);

const feedbackSchema = new Schema(
  {
    learnerId: { type: String, required: true },
    text: { type: String, required: true },
    channel: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'feedback', versionKey: false },
);

/**
 * One document per conversation id: the unique _id makes it impossible for two learners
 * to claim one conversation (FerretDB 1.24 does not enforce unique indexes on arrays).
 */
const conversationSchema = new Schema(
  {
    _id: { type: String, required: true },
    learnerId: { type: String, required: true },
    /** When the platform said this conversation blocked the bot; unset while reachable. Read by _id on every send. */
    blockedAt: Date,
  },
  { collection: 'conversations', versionKey: false },
);
conversationSchema.index({ learnerId: 1 });

const updateSchema = new Schema(
  { _id: { type: String, required: true }, at: { type: Date, required: true } },
  { collection: 'inbound_updates', versionKey: false },
);
// Pruned by age (FerretDB 1.24 has no TTL indexes); Telegram redelivers for at most 24 h.
updateSchema.index({ at: 1 });

/** /lienket codes: one live code per learner; expired ones are pruned when a new one is issued. */
const linkCodeSchema = new Schema(
  { _id: { type: String, required: true }, learnerId: { type: String, required: true }, expiresAt: { type: Date, required: true } },
  { collection: 'link_codes', versionKey: false },
);
linkCodeSchema.index({ learnerId: 1 });
linkCodeSchema.index({ expiresAt: 1 });

/** Unprompted messages a channel's budget (or its 429) refused, waiting for the learner's next reply. */
const heldMessageSchema = new Schema(
  {
    conversation: { type: String, required: true },
    messages: { type: [Schema.Types.Mixed], required: true },
    reason: { type: String, required: true },
    /** The send job it came from: holding the same job twice keeps one copy. */
    sourceJob: { type: String, required: true, unique: true },
    heldAt: { type: Date, required: true },
  },
  { collection: 'held_messages', versionKey: false },
);
heldMessageSchema.index({ conversation: 1, heldAt: 1 });
/**
 * One document per scheduled message that went (or is going) out: `reminder|<cohort>|<learner>|<offset>`,
 * `lesson|<learner>|<local date>`, `nudge|<cohort>|<learner>|<gap start>`. The unique _id is what keeps a
 * reminder from going twice across restarts and workers; `owner` names the queued job allowed to send it.
 */
const scheduledSendSchema = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    learnerId: { type: String, required: true },
    owner: { type: String, required: true },
    state: { type: String, required: true },
    claimedAt: { type: Date, required: true },
    doneAt: Date,
  },
  { collection: 'scheduled_sends', versionKey: false },
);
// A learner's history of scheduled messages (admin view).
scheduledSendSchema.index({ learnerId: 1 });

/** Where each planning sweep got to: `reminder|<cohort>|<offset>`, `lesson|<cohort>|<date>|<hour>`, `nudge|<cohort>`. Read by _id only. */
/**
 * The reminder and lesson sweeps' packed copy of a cohort's enrolments (src/storage/sweep-buckets.ts):
 * `_id` `<cohortId>|<n>`, `n` a hash of the enrolment's `_id` modulo a fixed count per cohort, and
 * `rows` one JSON string of the bucket's enrolments (their sweep fields and learner copy, keyed by
 * enrolment `_id`). FerretDB 1.24 spends about the same CPU on each document it returns whatever its
 * size, so a sweep reads ~100 enrolments a document instead of one. Written only by the fold (one
 * writer, under a Redis lock); `_id` `built|<cohortId>` (no `cohortId`) marks a cohort's buckets built.
 */
const sweepBucketSchema = new Schema(
  {
    _id: { type: String, required: true },
    cohortId: String,
    rows: String,
    builtAt: Date,
  },
  { collection: 'sweep_buckets', versionKey: false },
);

const sweepStateSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** The last _id fully planned; the sweep resumes after it. */
    after: String,
    done: { type: Boolean, default: false },
    /** Nudges: last-activity instants below this have been planned. */
    through: Date,
    updatedAt: Date,
  },
  { collection: 'sweep_state', versionKey: false },
);

/** One document per data migration that has run: `_id` names it. */
const migrationSchema = new Schema({ _id: { type: String, required: true }, at: { type: Date, required: true } }, { collection: 'migrations', versionKey: false });

export type Models = ReturnType<typeof registerModels>;

export function registerModels(conn: Connection) {
  return {
    Learner: conn.model('Learner', learnerSchema),
    Enrolment: conn.model('Enrolment', enrolmentSchema),
    Answer: conn.model('Answer', answerSchema),
    Cohort: conn.model('Cohort', cohortSchema),
    Feedback: conn.model('Feedback', feedbackSchema),
    Update: conn.model('Update', updateSchema),
    Conversation: conn.model('Conversation', conversationSchema),
    LinkCode: conn.model('LinkCode', linkCodeSchema),
    HeldMessage: conn.model('HeldMessage', heldMessageSchema),
    ScheduledSend: conn.model('ScheduledSend', scheduledSendSchema),
    SweepState: conn.model('SweepState', sweepStateSchema),
    SweepBucket: conn.model('SweepBucket', sweepBucketSchema),
    Migration: conn.model('Migration', migrationSchema),
    ReviewDeck: conn.model('ReviewDeck', reviewDeckSchema),
  };
}

/**
 * Errors a start-up sees when another process syncs the same indexes at the same moment:
 * IndexNotFound (the other dropped it first), NamespaceExists (it created the collection first),
 * IndexAlreadyExists, and the options and key-spec conflicts MongoDB and FerretDB report for an
 * index built in between. FerretDB lists `sparse` indexes without the option, so every start drops
 * and rebuilds those, which makes the race likely whenever two processes start together.
 */
const INDEX_RACE_CODES = new Set([27, 48, 68, 85, 86]);

function isIndexRace(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'number' && INDEX_RACE_CODES.has(e.code)) return true;
  return typeof e?.message === 'string' && /\bindex\b.*\balready exists\b/i.test(e.message);
}

/**
 * Builds every declared index; run once at start-up (and in tests) before serving. A model whose
 * sync lost a race with another process is synced again after a short random pause (so the two do
 * not collide again); any other error, or a race lost `attempts` times, is thrown.
 */
export async function ensureIndexes(models: Models, attempts = 6): Promise<void> {
  for (const model of Object.values(models)) {
    for (let attempt = 1; ; attempt++) {
      try {
        await (model as { syncIndexes(): Promise<unknown> }).syncIndexes();
        break;
      } catch (err) {
        if (attempt >= attempts || !isIndexRace(err)) throw err;
        await new Promise((r) => setTimeout(r, 25 * attempt + Math.random() * 100));
      }
    }
  }
}
