import { describeConformance } from './driver.js';
import { zaloWebhook } from './setups.js';

describeConformance(zaloWebhook);
