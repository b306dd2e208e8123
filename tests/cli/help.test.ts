import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { ROOT } from '../support/env.js';

const run = promisify(execFile);

/** Every command of the tree with the words that name it (`['roster', 'import']`). */
function commands(c: Command, path: string[] = []): { path: string[]; command: Command }[] {
  return c.commands.flatMap((s) => [{ path: [...path, s.name()], command: s }, ...commands(s, [...path, s.name()])]);
}

/** What `cds-tutor <path> --help` prints, and how it ends, without leaving the process. */
async function help(path: string[]): Promise<{ out: string; code: string }> {
  const program = buildProgram();
  let out = '';
  for (const c of [program, ...commands(program).map((x) => x.command)]) {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (out += s) });
  }
  try {
    await program.parseAsync(['node', 'cds-tutor', ...path, '--help']);
    return { out, code: 'no exit' };
  } catch (err) {
    return { out, code: (err as { code?: string }).code ?? String(err) };
  }
}

describe('the admin CLI', () => {
  const all = commands(buildProgram());

  it('should have every command group of the admin surface', () => {
    const groups = all.filter((c) => c.path.length === 1).map((c) => c.path[0]);
    expect(groups).toEqual(expect.arrayContaining(['cohort', 'queue', 'certificate', 'admin', 'roster', 'report', 'broadcast']));
    expect(all.length).toBeGreaterThan(20);
  });

  it('should describe every command and every option of every command', () => {
    for (const { path, command } of all) {
      expect(command.description().length, path.join(' ')).toBeGreaterThan(10);
      for (const o of command.options) expect(o.description.length, `${path.join(' ')} ${o.flags}`).toBeGreaterThan(3);
    }
  });

  it('should print the usage, the description and the options of every command for --help, and exit 0', async () => {
    for (const { path, command } of all) {
      const { out, code } = await help(path);
      const name = path.join(' ');
      expect(code, name).toBe('commander.helpDisplayed');
      expect(out, name).toContain(`Usage: cds-tutor ${name}`);
      expect(out.replace(/\s+/g, ' '), name).toContain(command.description().replace(/\s+/g, ' ').slice(0, 40));
      for (const o of command.options) expect(out, `${name} ${o.flags}`).toContain(o.long ?? o.flags);
    }
  });

  it('should answer --help through the real entry point without a database', async () => {
    const r = await run('node', ['--import', 'tsx', 'src/cli/index.ts', 'roster', 'import', '--help'], { cwd: ROOT, env: { ...process.env, MONGODB_URL: 'mongodb://127.0.0.1:1/none' } });
    expect(r.stdout).toContain('Usage: cds-tutor roster import');
    expect(r.stdout).toContain('--cohort <id>');
  });
});
