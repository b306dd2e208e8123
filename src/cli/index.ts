/** The admin CLI (`npm run cli -- …`): one module per command group, `--help` on every command. */
import { buildProgram } from './program.js';

await buildProgram().parseAsync();
