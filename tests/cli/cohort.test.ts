import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cohortFromOptions } from '../../src/cli/cohort.js';
import { connectDatabase } from '../../src/storage/mongo.js';
import { syncContentCohorts } from '../../src/storage/cohorts.js';
import { MongoCohortStore } from '../../src/storage/stores.js';
import { ROOT, shipped, testConfig } from '../support/env.js';

const run = promisify(execFile);
const COURSES = new Set(['cds-xa']);
const TZ = 'Asia/Ho_Chi_Minh';
const config = testConfig();

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('node', ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: ROOT, env: { ...process.env, MONGODB_URL: config.MONGODB_URL } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

afterAll(async () => {
  const db = await connectDatabase(config.MONGODB_URL);
  await db.conn.dropDatabase();
  await db.close();
});

describe('cohort options', () => {
  it('should read instants without an offset in the learners time zone and apply the defaults', () => {
    const c = cohortFromOptions({ id: 'k1', course: 'cds-xa', opens: '2026-05-06T00:00', closes: '2026-05-22T23:59:59+07:00' }, COURSES, TZ, null);
    expect(c.opensAt).toEqual(new Date('2026-05-05T17:00:00Z'));
    expect(c).toMatchObject({ reminders: ['P7D', 'P3D', 'P1D', 'PT3H'], quietHours: { start: 1260, end: 420 }, lessonHour: 8 });
  });

  it('should reject every bad option with a message naming it', () => {
    const bad = () =>
      cohortFromOptions(
        { id: 'a b', course: 'nope', opens: '2026-05-22', closes: '2026-05-06', reminders: 'P3D,3 days', quietHours: '22-06', lessonHour: '8.5' },
        COURSES,
        TZ,
        null,
      );
    expect(bad).toThrow(/--id[\s\S]*--course "nope"[\s\S]*--closes must come after --opens[\s\S]*"3 days"[\s\S]*--quiet-hours[\s\S]*--lesson-hour/);
  });
});

describe('cohort CLI', () => {
  it('should create a cohort, print it as JSON and list it', async () => {
    const r = await cli('cohort', 'upsert', '--id', 'k2', '--course', 'cds-xa', '--opens', '2026-05-06T00:00:00+07:00', '--closes', '2026-05-22T23:59:59+07:00', '--reminders', 'P3D,PT3H', '--quiet-hours', 'none', '--lesson-hour', '19');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      id: 'k2',
      course: 'cds-xa',
      opens: '2026-05-06T00:00:00+07:00',
      closes: '2026-05-22T23:59:59+07:00',
      reminders: ['P3D', 'PT3H'],
      quietHours: 'none',
      lessonHour: 19,
    });
    const list = await cli('cohort', 'list');
    expect(JSON.parse(list.stdout).map((c: { id: string }) => c.id)).toEqual(['demo', 'k2', 'xa-2022']);
  }, 30_000);

  it('should exit non-zero with a clear message on bad input', async () => {
    const r = await cli('cohort', 'upsert', '--id', 'k3', '--course', 'cds-xa', '--opens', 'tomorrow', '--closes', '2026-05-22T23:59:59+07:00');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--opens must be an ISO-8601 instant');
  }, 30_000);

  it('should keep an administrators change to a content cohort when the content is synced again', async () => {
    const r = await cli('cohort', 'upsert', '--id', 'xa-2022', '--course', 'cds-xa', '--opens', '2022-05-06T00:00:00+07:00', '--closes', '2022-05-25T23:59:59+07:00');
    expect(r.code).toBe(0);
    const db = await connectDatabase(config.MONGODB_URL);
    await syncContentCohorts(db.models, shipped().cohorts, new Date());
    const c = await new MongoCohortStore(db.models).get('xa-2022');
    await db.close();
    expect(c!.closesAt).toEqual(new Date('2022-05-25T23:59:59+07:00'));
    expect(c!.usesDistrict).toBe(true);
  }, 30_000);
});
