import { describeConformance } from './driver.js';
import { consoleSetup } from './setups.js';

describeConformance(consoleSetup);
