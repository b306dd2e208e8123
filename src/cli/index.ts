/** The admin CLI (`npm run cli -- …`): one module per command group, `--help` on every command. */
import { Command } from 'commander';
import { registerCohortCommands } from './cohort.js';
import { registerQueueCommands } from './queue.js';
import { registerCertificateCommands } from './certificate.js';
import { registerAdminCommands } from './admin.js';
import { registerRosterCommands } from './roster.js';
import { registerReportCommands } from './report.js';
import { registerBroadcastCommands } from './broadcast.js';

const program = new Command('cds-tutor').description('Administer cds-tutor: cohorts and queues').showHelpAfterError();
registerCohortCommands(program);
registerQueueCommands(program);
registerCertificateCommands(program);
registerAdminCommands(program);
registerRosterCommands(program);
registerReportCommands(program);
registerBroadcastCommands(program);
await program.parseAsync();
