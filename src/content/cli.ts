/** `npm run content:check` validates the content; `npm run content:stats` summarises it per locale. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { loadContent } from './load.js';
import { formatProblem } from './problems.js';
import { contentStats, formatStats } from './stats.js';

// The content folder comes from CONTENT_DIR, read by config.ts like every setting.
const contentDir = loadConfig().CONTENT_DIR;

const program = new Command('content').description('Check and summarise the course content');

program
  .command('check')
  .description('validate ids, references, lengths and answers; print each problem with file and line')
  .option('--dir <dir>', 'content folder', contentDir)
  .action((opts: { dir: string }) => {
    const content = loadContent(resolve(opts.dir));
    for (const p of content.problems.items) process.stdout.write(`${formatProblem(p)}\n`);
    const errors = content.problems.errors.length;
    const warnings = content.problems.items.length - errors;
    const courses = [...content.courses.values()];
    const lessons = courses.reduce((n, c) => n + c.parts.flatMap((p) => p.topics).reduce((m, t) => m + t.lessons.length, 0), 0);
    process.stdout.write(
      `${errors === 0 ? 'OK' : 'FAILED'}: ${courses.length} course(s), ${lessons} lessons, ${content.cohorts.length} cohort(s); ${errors} error(s), ${warnings} warning(s)\n`,
    );
    process.exitCode = errors === 0 ? 0 : 1;
  });

program
  .command('stats')
  .description('topics, cards, questions per topic, average card length, correct-answer spread, per locale')
  .option('--dir <dir>', 'content folder', contentDir)
  .option('--json', 'print JSON')
  .action((opts: { dir: string; json?: boolean }) => {
    const content = loadContent(resolve(opts.dir));
    const stats = [...content.courses.values()].map((c) => contentStats(c));
    process.stdout.write(opts.json ? `${JSON.stringify(stats, null, 2)}\n` : stats.map(formatStats).join('\n\n') + '\n');
  });

program.parse();
