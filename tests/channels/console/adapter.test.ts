import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { application, eventually } from '../../support/env.js';
import { ConsoleAdapter } from '../../../src/channels/console/adapter.js';
import type { App } from '../../../src/app/index.js';

let app: App & { dispose(): Promise<void> };
const input = new PassThrough();
const output = new PassThrough();
let printed = '';
output.on('data', (chunk: Buffer) => {
  printed += chunk.toString('utf8');
});

beforeAll(async () => {
  app = await application([new ConsoleAdapter({ input, output, sessionId: 'test' })]);
});
afterAll(() => app.dispose());

describe('the console channel', () => {
  it('should carry a scripted session through the inbound and send queues to standard output, in order', async () => {
    input.write('/start\n1\nNguyễn Văn Ba\n1\nnghe an\nXã Nghi Lộc\n1\n8\n');
    await eventually(() => printed.includes('Chuyên đề 1 · Bài 1/'), 'the first lesson card');
    const order = ['Xin chào', 'Họ và tên', 'Chức vụ', 'tỉnh/thành phố', 'xã/phường', 'đồng ý', 'mấy giờ', 'Cảm ơn Nguyễn Văn Ba', 'Chuyên đề 1 · Bài 1/'];
    const positions = order.map((s) => printed.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Choices are listed as numbers, answers as letters.
    expect(printed).toContain('  1. Tiếng Việt');
    input.write('tiep tuc\n');
    await eventually(() => printed.includes('A. '), 'a lettered check question');
    expect(printed).toContain('Trả lời bằng chữ cái');
    // Markdown is rendered as plain text on the console.
    expect(printed).not.toContain('**');
  });

  it('should send every reply through the BullMQ send queue', async () => {
    await eventually(() => app.idle(), 'queues drained');
    const completed = await app.queues.send.console.getJobCounts('completed');
    expect(completed.completed).toBeGreaterThanOrEqual(9);
    const inbound = await app.queues.inbound.getJobCounts('completed', 'failed');
    expect(inbound).toEqual({ completed: 9, failed: 0 });
  });
});
