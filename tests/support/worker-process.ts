/**
 * The worker role as a child process (`node --import tsx src/main.ts worker`) that a test can
 * kill with SIGKILL and start again, with what happened to it kept for the report: when each
 * incarnation was spawned, was ready ("cds-tutor started") and was killed, and the lines it
 * logged at warn or worse.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './env.js';

export interface Incarnation {
  spawnedAt: number;
  readyAt?: number;
  killedAt?: number;
  /** How it ended: 'SIGKILL' when killed by the test, 'exit <code>' otherwise. */
  end?: string;
}

export class WorkerProcess {
  readonly incarnations: Incarnation[] = [];
  /** Lines logged at warn (40) or worse by any incarnation, parsed. */
  readonly warnings: Record<string, unknown>[] = [];
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(private readonly env: Record<string, string>) {}

  /** Spawns an incarnation and resolves once it reports it started. */
  async start(timeoutMs = 60_000): Promise<Incarnation> {
    if (this.child) throw new Error('a worker is already running');
    const me: Incarnation = { spawnedAt: Date.now() };
    this.incarnations.push(me);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    let ready!: () => void;
    let failed!: (err: Error) => void;
    const started = new Promise<void>((res, rej) => ((ready = res), (failed = rej)));
    let buffered = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          err += `${line}\n`;
          continue;
        }
        if (parsed.msg === 'cds-tutor started' && me.readyAt === undefined) {
          me.readyAt = Date.now();
          ready();
        }
        if (typeof parsed.level === 'number' && parsed.level >= 40) this.warnings.push(parsed);
      }
    });
    this.exited = new Promise<void>((res) =>
      child.on('exit', (code, signal) => {
        me.end = signal ?? `exit ${code}`;
        if (this.child === child) this.child = undefined;
        failed(new Error(`the worker ended (${me.end}) before it started:\n${err.slice(-2000)}`));
        res();
      }),
    );
    const timer = setTimeout(() => failed(new Error(`the worker did not start within ${timeoutMs} ms`)), timeoutMs);
    try {
      await started;
    } finally {
      clearTimeout(timer);
    }
    return me;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** SIGKILL: no shutdown handler runs, jobs in hand are left active with their locks. */
  async kill(): Promise<number> {
    const child = this.child;
    if (!child) return Date.now();
    const at = Date.now();
    this.incarnations.at(-1)!.killedAt = at;
    child.kill('SIGKILL');
    await this.exited;
    return at;
  }

  /** SIGTERM: the worker finishes the jobs in hand and exits (main.ts gives it 10 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** For afterAll and process exit: whatever runs is killed at once. */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }
}
