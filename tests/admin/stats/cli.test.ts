import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../../src/storage/mongo.js';
import { syncContentCohorts } from '../../../src/storage/cohorts.js';
import { MongoEnrolmentStore } from '../../../src/storage/stores.js';
import { ROOT, shipped, testConfig, uniqueName } from '../../support/env.js';

const run = promisify(execFile);
const config = testConfig();
const out = join(tmpdir(), `${uniqueName('progress')}.csv`);
let db: Database;

async function cli(...args: string[]) {
  const r = await run('node', ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: ROOT, env: { ...process.env, MONGODB_URL: config.MONGODB_URL, QUEUE_PREFIX: uniqueName('cdscli'), DEFAULT_LOCALE: 'en' } });
  return r.stdout;
}

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  await syncContentCohorts(db.models, shipped().cohorts, new Date());
  const l = await db.models.Learner.create({ conversations: ['console:1'], unreachable: [], profile: { fullName: '@SUM(A1)', role: 'chair', province: 'Huế', commune: 'Phường Thuận Hóa' }, locale: 'vi', cohortId: 'demo', onboarded: true, stopped: false, createdAt: new Date() });
  await new MongoEnrolmentStore(db.models).ensure({ learnerId: String(l._id), cohortId: 'demo', courseId: 'cds-xa', status: 'in_progress', cursor: { at: 'idle' }, completedLessons: [], checkResults: {}, finalAttempts: [], lastActivityAt: new Date() });
});

afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
  await rm(out, { force: true });
});

describe('report CLI', () => {
  it('should rebuild the counters of learners saved behind their back, reporting the drift', async () => {
    const first = await cli('report', 'recount', '--cohort', 'demo');
    expect(first).toContain('Huế · Phường Thuận Hóa · chair · started: 0 → 1');
    expect(first).toMatch(/Recounted 1 learners .* corrected 3 cells and 1 marks/);
    const doc = await db.conn.collection('stats_counters').findOne({ _id: 'demo|Huế' as never });
    expect(doc?.cells).toBeDefined();
  }, 20_000);

  it('should write the progress CSV to a file', async () => {
    expect(await cli('report', 'progress', '--cohort', 'demo', '--out', out)).toContain('Exported 1 learners');
    const text = await readFile(out, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain("'@SUM(A1)");
  }, 20_000);
});
