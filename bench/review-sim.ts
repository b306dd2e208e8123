/**
 * Simulation: how much of what learners met is still recalled on the closing day, under three
 * review policies given the same number of review questions.
 *   node --import tsx bench/review-sim.ts [--learners 10000] [--items 40] [--latest-start 6] [--seed 42]
 *
 * The scheduler under test is the product's own code (core/review.ts, core/review-schedule.ts,
 * FSRS through src/memory/fsrs.ts). The learners' memory is NOT FSRS: it is a separate, simple
 * ground truth (below), so the policy does not win by grading itself with its own model.
 *
 * Assumptions (say them when quoting the figures):
 * - The 2022 cohort's window: 6 May 00:00 to 22 May 23:59 (Hanoi), reviews at 08:00. Each learner
 *   starts on a day drawn uniformly from 0 to `latest-start` and meets `items` check questions,
 *   `items / 10` a day for 10 days, at 09:00.
 * - Per item a difficulty d = e^N(0, 0.5) (clipped to 0.25–4), per learner an ability
 *   a = e^N(0, 0.3). The first answer is right with probability 1 / (1 + 0.6 d / a). After it (the
 *   explanation shown) memory decays exponentially: recall after t days = e^(−t / S), with
 *   S = S0 · a / d, S0 = 2.0 d if missed and 21.9 d if right: FSRS-6's default initial stabilities
 *   (0.21 d after "again", 2.31 d after "good", counted to 90 % recall) in the exponential's
 *   terms. That calibration is the one place the truth borrows from FSRS; its growth does not.
 * - A review at recall p succeeds with probability p. Success multiplies S by 1.5 + 4 (1 − p)
 *   (a harder retrieval strengthens more; chosen, not fitted); failure shows the answer again:
 *   S = max(S0, 0.8 S).
 * - Each day a learner is active with probability 0.85 and then answers up to 3 review questions
 *   (the daily push); an inactive day has no review. No /onlai on top.
 * - Policies: none; fixed "the day after" (each item is reviewed the day after it was last seen,
 *   oldest first); deadline-aware FSRS (the product). The fixed policy gets, per learner, exactly
 *   as many review questions as the deadline-aware policy used for that learner. Plain FSRS (no
 *   deadline: the same code with the closing moved ten years away) is shown for comparison,
 *   under the same per-learner cap.
 * - Score: the expected share of items recalled at closing, mean of e^(−t / S) over all items.
 */
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { FsrsMemory } from '../src/memory/fsrs.js';
import { seededRandom } from '../src/core/random.js';
import { DAILY_MAX, dueItems, emptyDeck, gradeReview, noteAnswer, type ReviewDeck } from '../src/core/review.js';
import type { ReviewWindow } from '../src/core/review-schedule.js';
import type { Random } from '../src/core/ports.js';

const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: '10000' },
    items: { type: 'string', default: '40' },
    seed: { type: 'string', default: '42' },
    'latest-start': { type: 'string', default: '6' },
  },
});
const LEARNERS = Number(values.learners);
const ITEMS = Number(values.items);
const SEED = Number(values.seed);
const TZ = 'Asia/Ho_Chi_Minh';
const OPENS = DateTime.fromISO('2022-05-06T00:00', { zone: TZ });
const CLOSES = DateTime.fromISO('2022-05-22T23:59', { zone: TZ }).toJSDate();
const LESSON_DAYS = 10;
/** Learners start on a day drawn uniformly from 0 to LATEST_START (many start late, as the programme saw). */
const LATEST_START = Number(values['latest-start']);
const ACTIVE = 0.85;
const DAY_MS = 86_400_000;
const WINDOW: ReviewWindow = { closesAt: CLOSES, quietHours: { start: 21 * 60, end: 7 * 60 }, hour: 8, timezone: TZ };
/** Plain FSRS: the same code with no deadline in sight. */
const NO_DEADLINE: ReviewWindow = { ...WINDOW, closesAt: new Date(CLOSES.getTime() + 3650 * DAY_MS) };
const memory = new FsrsMemory();
/**
 * Ground-truth stability (days of e-fold decay) after a first answer, for average ability and
 * difficulty: FSRS-6's default initial stabilities (0.21 d after "again", 2.31 d after "good",
 * counted to 90 % recall) in the exponential's terms, S = S90 / ln(1 / 0.9).
 */
const S0_MISSED = 0.212 / Math.log(1 / 0.9);
const S0_RIGHT = 2.307 / Math.log(1 / 0.9);
/** Growth of stability after a successful review at recall p: GROWTH_BASE + GROWTH_HARD (1 − p). */
const GROWTH_BASE = 1.5;
const GROWTH_HARD = 4;

function normal(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

/** What happens to one learner whatever the policy: abilities, first answers, active days. */
interface Scenario {
  ability: number;
  /** Per item: the day (0-based) it is met, at 09:00, and whether the first answer was right. */
  met: { day: number; right: boolean; s0: number; difficulty: number }[];
  active: boolean[];
  seed: number;
}

const rng = seededRandom(SEED);
const difficulty = Array.from({ length: ITEMS }, () => Math.min(4, Math.max(0.25, Math.exp(0.5 * normal(rng)))));
const DAYS = Math.ceil((CLOSES.getTime() - OPENS.toJSDate().getTime()) / DAY_MS);

function scenario(i: number): Scenario {
  const ability = Math.exp(0.3 * normal(rng));
  const startDay = Math.floor(rng.next() * (LATEST_START + 1));
  const met = difficulty.map((d, k) => {
    const right = rng.next() < 1 / (1 + (0.6 * d) / ability);
    return { day: startDay + Math.floor((k * LESSON_DAYS) / ITEMS), right, s0: ((right ? S0_RIGHT : S0_MISSED) * ability) / d, difficulty: d };
  });
  return { ability, met, active: Array.from({ length: DAYS }, () => rng.next() < ACTIVE), seed: SEED * 1_000_003 + i };
}

/** The ground-truth memory of one item for one learner. */
interface Truth {
  s: number;
  s0: number;
  last: number;
}

function recallAt(t: Truth, at: number): number {
  return Math.exp(-(at - t.last) / DAY_MS / t.s);
}

function review(t: Truth, at: number, r: Random): boolean {
  const p = recallAt(t, at);
  const ok = r.next() < p;
  t.s = ok ? t.s * (GROWTH_BASE + GROWTH_HARD * (1 - p)) : Math.max(t.s0, 0.8 * t.s);
  t.last = at;
  return ok;
}

const dayAt = (day: number, hour: number) => OPENS.plus({ days: day }).set({ hour }).toJSDate().getTime();
const isoDays = new Map<number, string>();
/** The local date of an instant (memoised by the hour: the simulation meets a few hundred distinct hours). */
function isoDay(at: number): string {
  const hour = Math.floor(at / 3600_000);
  let d = isoDays.get(hour);
  if (!d) isoDays.set(hour, (d = DateTime.fromMillis(at, { zone: TZ }).toISODate()!));
  return d;
}

/** A review policy: which items to ask on a day (at most `max`), told the outcome of each. */
interface Policy {
  meet(k: number, at: number, right: boolean): void;
  pick(day: number, at: number, max: number): number[];
  answered(k: number, at: number, ok: boolean): void;
}

/** The product's rule with `window`'s closing; plain FSRS with a closing ten years away. Most overdue first either way. */
function fsrsPolicy(window: ReviewWindow): Policy {
  const deck: ReviewDeck = emptyDeck('sim', 'sim');
  const index = new Map<string, number>();
  const atOf = (at: number) => ({ now: new Date(at), today: isoDay(at), window, memory });
  return {
    meet(k, at, right) {
      index.set(`q${k}`, k);
      noteAnswer(deck, `q${k}`, 'check', right, atOf(at));
    },
    pick(_day, at, max) {
      const a = atOf(at);
      return dueItems(deck, a.now, a.today)
        .slice(0, max)
        .map((i) => index.get(i.questionId)!);
    },
    answered(k, at, ok) {
      gradeReview(deck.items.find((i) => i.questionId === `q${k}`)!, ok, atOf(at));
    },
  };
}

function nextDayPolicy(): Policy {
  const due = new Map<number, number>();
  return {
    meet(k, at) {
      due.set(k, at + DAY_MS);
    },
    pick(_day, at, max) {
      return [...due.entries()]
        .filter(([, d]) => d <= at + 12 * 3600_000)
        .sort((a, b) => a[1] - b[1])
        .slice(0, max)
        .map(([k]) => k);
    },
    answered(k, at) {
      due.set(k, at + DAY_MS);
    },
  };
}

interface Outcome {
  recall: number;
  reviews: number;
  missedTwice: number;
  missed: number;
}

/** Runs one learner under one policy; `budget` caps the review questions (Infinity: the policy's own). */
function run(sc: Scenario, policy: Policy | null, budget: number): Outcome {
  const r = seededRandom(sc.seed);
  const truth: Truth[] = sc.met.map((m) => ({ s: m.s0, s0: m.s0, last: 0 }));
  const seen = sc.met.map(() => 0);
  let reviews = 0;
  for (let day = 0; day < DAYS; day++) {
    const reviewAt = dayAt(day, 8);
    if (policy && sc.active[day] && reviewAt < CLOSES.getTime() && reviews < budget) {
      for (const k of policy.pick(day, reviewAt, Math.min(DAILY_MAX, budget - reviews))) {
        policy.answered(k, reviewAt, review(truth[k]!, reviewAt, r));
        seen[k]! += 1;
        reviews += 1;
      }
    }
    sc.met.forEach((m, k) => {
      if (m.day !== day) return;
      const at = dayAt(day, 9);
      truth[k]!.last = at;
      policy?.meet(k, at, m.right);
    });
  }
  const missed = sc.met.filter((m) => !m.right).length;
  return {
    recall: truth.reduce((sum, t) => sum + recallAt(t, CLOSES.getTime()), 0) / truth.length,
    reviews,
    missedTwice: sc.met.filter((m, k) => !m.right && seen[k]! >= 2).length,
    missed,
  };
}

const started = Date.now();
const totals = { none: zero(), nextDay: zero(), deadline: zero(), plain: zero() };
function zero(): Outcome {
  return { recall: 0, reviews: 0, missedTwice: 0, missed: 0 };
}
function add(to: Outcome, o: Outcome): void {
  to.recall += o.recall;
  to.reviews += o.reviews;
  to.missedTwice += o.missedTwice;
  to.missed += o.missed;
}

for (let i = 0; i < LEARNERS; i++) {
  const sc = scenario(i);
  const deadline = run(sc, fsrsPolicy(WINDOW), Infinity);
  add(totals.deadline, deadline);
  add(totals.none, run(sc, null, 0));
  add(totals.nextDay, run(sc, nextDayPolicy(), deadline.reviews));
  add(totals.plain, run(sc, fsrsPolicy(NO_DEADLINE), deadline.reviews));
}

const rows: [string, Outcome][] = [
  ['no review', totals.none],
  ['fixed: the day after', totals.nextDay],
  ['deadline-aware FSRS (the product)', totals.deadline],
  ['plain FSRS, no deadline (for comparison)', totals.plain],
];
console.log(`${LEARNERS} learners × ${ITEMS} items, starts on day 0–${LATEST_START}, seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log('| policy | recalled at closing | review questions / learner | missed items reviewed ≥ 2 times |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, o] of rows) {
  const missedTwice = o.missed === 0 ? 0 : (100 * o.missedTwice) / o.missed;
  console.log(`| ${name} | ${((100 * o.recall) / LEARNERS).toFixed(1)} % | ${(o.reviews / LEARNERS).toFixed(1)} | ${missedTwice.toFixed(0)} % |`);
}
