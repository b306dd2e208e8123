/** `broadcast` on the command line: options checked, the preview without --yes (nothing created), creation and control with it. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputFromOptions } from '../../src/cli/broadcast.js';
import { connectDatabase, type Database } from '../../src/storage/mongo.js';
import { ROOT, testConfig } from '../support/env.js';
import { seed } from './population.js';

const run = promisify(execFile);
const config = testConfig();
let db: Database;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('node', ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: ROOT, env: { ...process.env, MONGODB_URL: config.MONGODB_URL, QUEUE_PREFIX: `clitest${Date.now()}`, LOG_LEVEL: 'silent' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  db = await connectDatabase(config.MONGODB_URL);
  await seed(db.conn, [{ conversations: ['console:c1'], province: 'Nghệ An' }, { conversations: ['console:c2'], province: 'Hà Tĩnh' }], new Date());
});
afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
});

describe('broadcast options', () => {
  it('should build the segment and reject every bad option, naming it', () => {
    const input = inputFromOptions({ text: 'Tin', province: 'Nghệ An', role: 'chair', inactiveDays: '3', at: '2026-05-22T08:00', quietHours: false, ack: true }, 'Asia/Ho_Chi_Minh');
    expect(input).toMatchObject({ segment: { province: 'Nghệ An', role: 'chair', inactiveDays: 3 }, at: new Date('2026-05-22T01:00:00Z'), quietHours: false, ack: true });
    expect(() => inputFromOptions({ role: 'boss', status: 'x', inactiveDays: '-1', remindAfter: '24h', at: 'tomorrow' }, 'Asia/Ho_Chi_Minh')).toThrow(
      /--text is required\n--role[^\n]*\n--status[^\n]*\n--inactive-days[^\n]*\n--remind-after[^\n]*\n--image|--at/,
    );
  });
});

describe('npm run cli -- broadcast', () => {
  // Two runs only (each starts Node and the services: ~5 s); list, show and cancel share the service the API tests cover.
  it('should print the preview and create nothing without --yes, then create it with --yes', async () => {
    const preview = await cli('broadcast', '--text', 'Thông báo thử', '--province', 'Nghệ An');
    expect(preview.stdout).toContain('Số người nhận: 1');
    expect(preview.stdout).toContain('Chạy lại với --yes để gửi.');
    expect(await db.conn.collection('broadcasts').countDocuments()).toBe(0);
    const created = await cli('broadcast', '--text', 'Thông báo thử', '--province', 'Nghệ An', '--at', '2030-01-01T08:00', '--yes', '--no-follow');
    const id = /Đã tạo thông báo (\w+)\./.exec(created.stdout)?.[1];
    expect(id, created.stderr).toBeDefined();
    expect(created.stdout).toContain('Trạng thái: scheduled');
    expect(await db.conn.collection('broadcasts').findOne({ _id: id as never })).toMatchObject({ segment: { province: 'Nghệ An' }, createdBy: { id: 'cli' } });
  }, 60_000);
});
