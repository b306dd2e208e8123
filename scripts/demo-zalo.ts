/**
 * `npm run demo:zalo`: the real tutor (`src/main.ts`, Zalo channel, polling) against the local fake
 * Zalo Bot API server, no token needed. Each line you type is delivered as a Zalo text message from
 * one user; what the bot sends through the API is printed. Works with piped input too:
 *   printf 'Xin chào\n1\nNguyễn Văn An\n' | npm run demo:zalo
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeZalo, zaloText, type FakeCall } from '../tests/support/fake-zalo.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USER = 'demo0user0zalo000001';

/** A free local port, so the web role serves the certificate's links (/verify, /certificates) at PUBLIC_BASE_URL. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}
const httpPort = process.env.HTTP_PORT ?? String(await freePort());

const fake = new FakeZalo('1234567890:demo-token-not-real', 5_000);
const url = await fake.start();
let lastReplyAt = 0;
let replies = 0;
fake.on('call', (c: FakeCall) => {
  if (c.method === 'sendMessage' && c.ok && c.body.chat_id === USER) {
    replies++;
    lastReplyAt = Date.now();
    process.stdout.write(`\n🤖 ${String(c.body.text).replace(/\n/g, '\n   ')}\n`);
  }
  if (c.method === 'sendPhoto' && c.ok) process.stdout.write(`\n🖼  ${c.body.photo}\n`);
});

const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'all'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    ZALO_BOT_TOKEN: fake.token,
    ZALO_API_BASE: url,
    ZALO_MODE: 'polling',
    HTTP_PORT: httpPort,
    PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL ?? `http://localhost:${httpPort}`,
    MONGODB_URL: process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017/cds_tutor_demo',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  },
});
const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? 1)));

// Ready once the tutor polls the fake server.
while (fake.callsOf('getUpdates').length === 0) {
  if (child.exitCode !== null) process.exit(child.exitCode);
  await sleep(100);
}
const interactive = Boolean(process.stdin.isTTY);
process.stdout.write(`Fake Zalo Bot API at ${url}; you are Zalo user ${USER}. Type a message (Ctrl-D to quit).\n`);

/** Waits until the bot has answered and then stayed quiet for a moment. */
async function settle(before: number): Promise<void> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    if (replies > before && Date.now() - lastReplyAt > 800) return;
    await sleep(100);
  }
}

let n = 0;
const rl = createInterface({ input: process.stdin, terminal: false });
if (interactive) process.stdout.write('> ');
for await (const line of rl) {
  if (!interactive) process.stdout.write(`\n👤 ${line}\n`);
  const before = replies;
  fake.push(zaloText(USER, line, { messageId: `demo${Date.now().toString(16)}${(++n).toString(16)}` }));
  await settle(before);
  if (interactive) process.stdout.write('\n> ');
}

child.kill('SIGTERM');
const code = await exited;
await fake.stop();
process.exit(code);
