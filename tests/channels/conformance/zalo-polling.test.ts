import { describeConformance } from './driver.js';
import { zaloPolling } from './setups.js';

describeConformance(zaloPolling);
