import { describe, expect, it } from 'vitest';
import { useEngine } from '../support/env.js';
import { ChatLearner, askedQuestion, letter } from '../support/chat.js';
import { lessonsOf, pick, topicsOf, type Locale } from '../../src/core/course.js';
import { renderPlain } from '../../src/channels/shared/render.js';

/** The strictest text limit of the channels (Zalo: 2,000 characters; Telegram: 4,096). */
const LIMIT = 2000;

const h = useEngine();

describe.each<[Locale, '1' | '2']>([
  ['vi', '1'],
  ['en', '2'],
])('the shipped course in %s', (locale, choice) => {
  it('should show every card and check question within the message limit', async () => {
    const a = new ChatLearner(h.tutor);
    await a.onboard({ lang: choice });
    const seenCards = new Set<string>();
    const seenQuestions = new Set<string>();
    for (let guard = 0; guard < 1000; guard++) {
      for (const m of a.last) {
        expect(renderPlain(m).length, m.text.slice(0, 60)).toBeLessThanOrEqual(LIMIT);
        for (const l of lessonsOf(h.course)) if (m.text.includes(pick(l.title, locale)) && m.choices?.[0]?.value === 'next') seenCards.add(l.id);
      }
      const q = askedQuestion(h.course, a.last.at(-1));
      if (q) {
        seenQuestions.add(q.id);
        await a.say(letter(q.correctIndex));
        continue;
      }
      if (a.lastChoices().includes('next')) {
        await a.press('next');
        continue;
      }
      break;
    }
    expect(seenCards.size).toBe(lessonsOf(h.course).length);
    expect(seenQuestions.size).toBe(lessonsOf(h.course).flatMap((l) => l.questions).length);
  });

  it('should render every final-test question within the message limit', () => {
    // The same shape the final test sends: header line, question, lettered options and a hint.
    for (const q of topicsOf(h.course).flatMap((t) => t.finalBank)) {
      const message = {
        text: `📝 Câu 30/30\n${pick(q.text, locale)}`,
        choices: q.options.map((o, i) => ({ label: pick(o, locale), value: `fin:3:29:${i}` })),
        lettered: true,
        hint: 'Trả lời bằng chữ cái (A, B, C…) hoặc số thứ tự.',
      };
      expect(renderPlain(message).length).toBeLessThanOrEqual(LIMIT);
      expect(q.text[locale], `${q.id} has ${locale} text`).toBeTruthy();
      for (const c of message.choices) expect(Buffer.byteLength(c.value)).toBeLessThanOrEqual(64);
    }
  });
});
