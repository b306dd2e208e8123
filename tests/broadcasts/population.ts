/** Learners written straight into the database for broadcast tests (no onboarding chat: fast), and the segment as a direct query would select it. */
import { Types } from 'mongoose';
import type { Connection } from 'mongoose';
import type { Segment } from '../../src/core/broadcast.js';
import type { ConversationId, EnrolmentStatus, Role } from '../../src/core/model.js';

export interface Seeded {
  id: string;
  conversations: ConversationId[];
  unreachable: ConversationId[];
  province: string;
  commune: string;
  role: Role;
  status: EnrolmentStatus;
  cohortId: string;
  locale: 'vi' | 'en';
  stopped: boolean;
  lastActivityAt: Date;
}

export type SeedInput = Partial<Omit<Seeded, 'id'>> & { conversations: ConversationId[] };

/** Inserts learners, their conversations and their enrolments, 16 writes at most per command. */
export async function seed(conn: Connection, list: SeedInput[], now: Date): Promise<Seeded[]> {
  const out: Seeded[] = list.map((l) => ({
    id: new Types.ObjectId().toHexString(),
    unreachable: [],
    province: 'Nghệ An',
    commune: 'Xã Nghi Lộc',
    role: 'chair',
    status: 'in_progress',
    cohortId: 'demo',
    locale: 'vi',
    stopped: false,
    lastActivityAt: now,
    ...l,
  }));
  for (let i = 0; i < out.length; i += 16) {
    const chunk = out.slice(i, i + 16);
    await conn.collection('learners').insertMany(
      chunk.map((l) => ({
        _id: new Types.ObjectId(l.id),
        conversations: l.conversations,
        unreachable: l.unreachable,
        profile: { fullName: 'Nguyễn Văn A', role: l.role, province: l.province, commune: l.commune },
        locale: l.locale,
        cohortId: l.cohortId,
        // No consent to the daily lessons: no lesson push spends a Zalo budget behind a test's back (broadcasts ignore it).
        consent: false,
        stopped: l.stopped,
        onboarded: true,
        createdAt: now,
        version: 1,
      })),
    );
    const convs = chunk.flatMap((l) => l.conversations.map((c) => ({ _id: c as never, learnerId: l.id })));
    if (convs.length) await conn.collection('conversations').insertMany(convs);
    await conn.collection('enrolments').insertMany(
      chunk.map((l) => ({
        _id: `${l.id}|${l.cohortId}` as never,
        learnerId: l.id,
        cohortId: l.cohortId,
        courseId: 'cds-xa',
        status: l.status,
        cursor: { kind: 'lesson', lessonId: 'x', card: 0 },
        completedLessons: [],
        checkResults: {},
        finalAttempts: [],
        lastActivityAt: l.lastActivityAt,
        version: 1,
      })),
    );
  }
  return out;
}

/** The segment as a direct query selects it: what the broadcast must reach (reachable or not). */
export function selects(l: Seeded, s: Segment, now: Date): boolean {
  return (
    !l.stopped &&
    (s.cohort === undefined || l.cohortId === s.cohort) &&
    (s.province === undefined || l.province === s.province) &&
    (s.commune === undefined || l.commune === s.commune) &&
    (s.role === undefined || l.role === s.role) &&
    (s.status === undefined || l.status === s.status) &&
    (s.channel === undefined || l.conversations.some((c) => c.startsWith(`${s.channel}:`))) &&
    (s.inactiveDays === undefined || now.getTime() - l.lastActivityAt.getTime() >= s.inactiveDays * 86_400_000)
  );
}
