/** Where the options of a final-test question are shown: each attempt shuffles them. */
import type { Question } from '../../src/core/course.js';

/** The position (0 = A) at which option `contentIndex` of question `i` of an attempt is shown. */
export function shownAt(attempt: { orders?: string[] }, i: number, q: Question, contentIndex = q.correctIndex): number {
  const order = attempt.orders?.[i];
  return order && order.length === q.options.length ? order.indexOf(String(contentIndex)) : contentIndex;
}
