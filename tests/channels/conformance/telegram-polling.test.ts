import { describeConformance } from './driver.js';
import { telegramPolling } from './setups.js';

describeConformance(telegramPolling, { ways: ['tap', 'tap', 'tap', 'words', 'tap', 'mark'] });
