/** The admin CLI's command tree, built without parsing: `index.ts` runs it, tests walk it. */
import { Command } from 'commander';
import { registerCohortCommands } from './cohort.js';
import { registerQueueCommands } from './queue.js';
import { registerCertificateCommands } from './certificate.js';
import { registerAdminCommands } from './admin.js';
import { registerRosterCommands } from './roster.js';
import { registerReportCommands } from './report.js';
import { registerBroadcastCommands } from './broadcast.js';

export function buildProgram(): Command {
  const program = new Command('cds-tutor').description('Administer cds-tutor: cohorts, queues, certificates, admin accounts, rosters, reports and broadcasts').showHelpAfterError();
  registerCohortCommands(program);
  registerQueueCommands(program);
  registerCertificateCommands(program);
  registerAdminCommands(program);
  registerRosterCommands(program);
  registerReportCommands(program);
  registerBroadcastCommands(program);
  return program;
}
