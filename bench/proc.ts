/**
 * Memory of processes for the benches (Linux /proc): the resident set of a pid, and the pid of the
 * local MongoDB-wire server (FerretDB or mongod) listening on a port, found by its command line.
 * And `timed`, which adds up the time spent in one method of an object.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size in bytes (VmRSS), or 0 when the process is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The pid of a ferretdb or mongod process whose command line names `port`; undefined when none is found. */
export function serverPid(port: number): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (/ferretdb|mongod/.test(cmd.split(' ')[0] ?? '') && new RegExp(`[:= ]${port}(\\s|$)`).test(cmd)) return Number(name);
  }
  return undefined;
}

/** Samples a pid's RSS every `ms`; `peak()` is the largest seen, `stop()` ends the sampling. */
export function rssSampler(pid: number | undefined, ms = 500): { peak(): number; first: number; stop(): void } {
  const first = pid ? rssOf(pid) : 0;
  let peak = first;
  const timer = setInterval(() => (peak = Math.max(peak, pid ? rssOf(pid) : 0)), ms);
  return { first, peak: () => peak, stop: () => clearInterval(timer) };
}

/** CPU time (user + system) a process has used so far, in seconds (clock ticks of 1/100 s); 0 when it is gone. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Redis's own CPU time so far (INFO cpu: used_cpu_user + used_cpu_sys), in seconds. */
export async function redisCpuSeconds(redis: { info(section: string): Promise<string> }): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

/** Wraps method `k` of `o` so that each call adds its time (ms) and one call to `acc`. */
export function timed<T extends object, K extends keyof T>(o: T, k: K, acc: { ms: number; n?: number }): void {
  const f = (o[k] as (...a: unknown[]) => Promise<unknown>).bind(o);
  (o as Record<K, unknown>)[k] = async (...a: unknown[]) => {
    const t = performance.now();
    try {
      return await f(...a);
    } finally {
      acc.ms += performance.now() - t;
      if (acc.n !== undefined) acc.n += 1;
    }
  };
}
