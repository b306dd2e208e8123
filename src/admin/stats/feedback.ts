/**
 * `GET /admin/api/feedback`: the learners' `/gopy` texts, newest first, paginated by the id of the
 * last one read, each with the learner's name and place (a province account sees its province's
 * only), and the topic ratings (1–5) averaged per topic. A paginated listing: it reads feedback
 * pages in `_id` order and each page's learners by `_id`.
 */
import { Types } from 'mongoose';
import type { Models } from '../../storage/models.js';
import type { CourseCatalog } from '../../core/ports.js';
import { topicsOf } from '../../core/course.js';

export const RATINGS = 'topic_ratings';
const PAGE = 200;

export interface FeedbackItem {
  id: string;
  learnerId: string;
  fullName: string | null;
  province: string | null;
  commune: string | null;
  cohortId: string | null;
  channel: string;
  text: string;
  at: string;
}

export interface TopicRatingSummary {
  courseId: string;
  topicId: string;
  /** The topic's title in Vietnamese, from the course; null when the course no longer has the topic. */
  title: string | null;
  n: number;
  average: number;
  /** How many rated 1, 2, 3, 4, 5. */
  counts: [number, number, number, number, number];
}

export interface FeedbackPage {
  items: FeedbackItem[];
  /** Pass as `before` for the next page; null at the end. */
  next: string | null;
  ratings: TopicRatingSummary[];
}

export async function listFeedback(p: { models: Models; catalog?: CourseCatalog; province?: string; cohort?: string; limit: number; before?: string }): Promise<FeedbackPage> {
  const items: FeedbackItem[] = [];
  let before = p.before ? new Types.ObjectId(p.before) : undefined;
  let exhausted = false;
  while (items.length < p.limit && !exhausted) {
    const docs = await p.models.Feedback.collection
      .find(before ? { _id: { $lt: before } } : {}, { sort: { _id: -1 }, limit: PAGE })
      .toArray();
    exhausted = docs.length < PAGE;
    const ids = [...new Set(docs.map((d) => String(d.learnerId)))].filter((id) => Types.ObjectId.isValid(id));
    const learners = new Map((await Promise.all(ids.map((id) => p.models.Learner.findById(id, { profile: 1, cohortId: 1 }).lean<any>()))).filter(Boolean).map((l) => [String(l._id), l]));
    for (const d of docs) {
      before = d._id as Types.ObjectId;
      const l = learners.get(String(d.learnerId));
      const province = l?.profile?.province ?? null;
      if (p.province !== undefined && province !== p.province) continue;
      if (p.cohort !== undefined && l?.cohortId !== p.cohort) continue;
      items.push({
        id: String(d._id),
        learnerId: String(d.learnerId),
        fullName: l?.profile?.fullName ?? null,
        province,
        commune: l?.profile?.commune ?? null,
        cohortId: l?.cohortId ?? null,
        channel: String(d.channel),
        text: String(d.text),
        at: new Date(d.at).toISOString(),
      });
      if (items.length === p.limit) {
        exhausted = false;
        break;
      }
    }
  }
  return { items, next: items.length === p.limit ? items.at(-1)!.id : null, ratings: await ratingSummary(p) };
}

/** Averages of the topic ratings of the scope (a scan of the ratings: one small document per learner and topic). */
export async function ratingSummary(p: { models: Models; catalog?: CourseCatalog; province?: string; cohort?: string }): Promise<TopicRatingSummary[]> {
  const filter: Record<string, string> = {};
  if (p.province !== undefined) filter.province = String(p.province);
  if (p.cohort !== undefined) filter.cohortId = String(p.cohort);
  const acc = new Map<string, TopicRatingSummary & { sum: number }>();
  for await (const r of p.models.Feedback.db.collection(RATINGS).find(filter, { projection: { courseId: 1, topicId: 1, rating: 1 } })) {
    const rating = Number(r.rating);
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) continue;
    const key = `${r.courseId}|${r.topicId}`;
    const s = acc.get(key) ?? { courseId: String(r.courseId), topicId: String(r.topicId), title: titleOf(p.catalog, String(r.courseId), String(r.topicId)), n: 0, average: 0, counts: [0, 0, 0, 0, 0], sum: 0 };
    s.n++;
    s.sum += rating;
    s.counts[rating - 1] = (s.counts[rating - 1] ?? 0) + 1;
    acc.set(key, s);
  }
  return [...acc.values()]
    .map(({ sum, ...s }) => ({ ...s, average: Math.round((100 * sum) / s.n) / 100 }))
    .sort((a, b) => a.courseId.localeCompare(b.courseId) || a.topicId.localeCompare(b.topicId));
}

function titleOf(catalog: CourseCatalog | undefined, courseId: string, topicId: string): string | null {
  const course = catalog?.get(courseId);
  const topic = course ? topicsOf(course).find((t) => t.id === topicId) : undefined;
  return topic ? topic.title.vi : null;
}
