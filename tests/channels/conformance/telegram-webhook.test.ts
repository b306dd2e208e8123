import { describeConformance } from './driver.js';
import { telegramWebhook } from './setups.js';

describeConformance(telegramWebhook, { ways: ['tap', 'tap', 'words', 'tap', 'folded'] });
