import { afterAll, describe, expect, it } from 'vitest';
import { application, eventually } from '../support/env.js';
import { ChatLearner } from '../support/chat.js';
import { CaptureAdapter } from '../support/scheduling.js';
import { upsertCohort } from '../../src/storage/cohorts.js';

describe('scheduler in the running application', () => {
  const adapter = new CaptureAdapter();
  let app: Awaited<ReturnType<typeof application>>;
  afterAll(() => app?.dispose());

  it('should deliver each reminder of a cohort closing in under a minute through the channel, once, and nothing after closing', async () => {
    app = await application([adapter], { DEFAULT_COHORT: 'minute', SCHEDULER_SWEEP_SECONDS: '1' });
    const now = Date.now();
    const closesAt = new Date(now + 40_000);
    await upsertCohort(app.db.models, {
      id: 'minute',
      courseId: 'cds-xa',
      opensAt: new Date(now - 60_000),
      closesAt,
      reminders: ['PT30S', 'PT15S'],
      quietHours: null,
      lessonHour: 8,
    });
    const learner = new ChatLearner(app.tutor, 'console');
    await learner.onboard();
    const address = learner.conversation.slice('console:'.length);
    const reminders = () => adapter.texts(address).filter((t) => t.includes('⏰'));

    await eventually(() => reminders().length >= 1, 'the PT30S reminder', 30_000);
    expect(reminders()[0]).toContain('còn 1 phút');
    await eventually(() => reminders().length >= 2, 'the PT15S reminder', 30_000);
    await eventually(() => Date.now() > closesAt.getTime() + 3_000, 'the cohort to close and three more sweeps', 30_000);
    expect(reminders()).toHaveLength(2);
    expect(await app.db.models.ScheduledSend.countDocuments({ kind: 'reminder', state: 'sent' })).toBe(2);
  }, 90_000);
});
