import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, testConfig, uniqueName } from '../support/env.js';
import { dropRun } from '../support/cleanup.js';

/** Runs `src/main.ts <role>` with its own database; resolves with its exit code and output. */
function run(role: string, input: string | null, env: Record<string, string> = {}, signalAfter?: { text: string; signal: NodeJS.Signals }) {
  const config = testConfig();
  const prefix = uniqueName('cdsproc');
  const cleanup = () => dropRun(config, prefix);
  return new Promise<{ code: number | null; out: string; err: string; ms: number }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
      cwd: ROOT,
      env: { ...process.env, MONGODB_URL: config.MONGODB_URL, QUEUE_PREFIX: prefix, HTTP_PORT: '0', LOG_LEVEL: 'info', DEFAULT_COHORT: 'demo', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let signalledAt = 0;
    const watch = () => {
      if (signalAfter && !signalledAt && (out + err).includes(signalAfter.text)) {
        signalledAt = Date.now();
        child.kill(signalAfter.signal);
      }
    };
    child.stdout.on('data', (d: Buffer) => ((out += d.toString()), watch()));
    child.stderr.on('data', (d: Buffer) => ((err += d.toString()), watch()));
    child.on('exit', (code) => {
      const result = { code, out, err, ms: signalledAt ? Date.now() - signalledAt : 0 };
      void cleanup().then(() => resolve(result), () => resolve(result));
    });
    if (input !== null) child.stdin.end(input);
  });
}

describe('the tutor process', () => {
  it('should run a piped console session to its end and exit 0', async () => {
    const r = await run('all', '/start\n2\nJane Doe\n4\nDa Nang\nHai Chau ward\n1\n19\n/progress\n', { HTTP_PORT: '' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('Topic 1 · Lesson 1/');
    expect(r.out).toContain('Progress in');
    expect(r.out.indexOf('Topic 1 · Lesson 1/')).toBeLessThan(r.out.indexOf('Progress in'));
  });

  it('should stop a worker on SIGTERM and exit 0', async () => {
    const r = await run('worker', null, {}, { text: 'cds-tutor started', signal: 'SIGTERM' });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('shutting down');
  });

  it('should refuse to start with a bad variable, naming it', async () => {
    const r = await run('worker', null, { DEFAULT_LOCALE: 'fr' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('DEFAULT_LOCALE');
  });

  it('should never print a channel token', async () => {
    const r = await run('worker', null, { ZALO_BOT_TOKEN: '123456:secret-token-value', ZALO_MODE: 'webhook', ZALO_WEBHOOK_SECRET: 'short' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('ZALO_WEBHOOK_SECRET');
    expect(r.out + r.err).not.toContain('secret-token-value');
  });
});
