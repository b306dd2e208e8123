/**
 * The channel conformance suite: the whole application driven through one channel set-up as a
 * person would, reading only what the bot shows. It follows every offer (a tap on a button
 * where there are buttons, otherwise the offered number or letter, and on some steps the
 * option's words with and without diacritics), answers every question right by finding it in
 * the course from the message text, finishes every lesson and the final test, and checks
 * /tiendo. A channel passes when no offered choice is refused, no message is over the
 * platform's limit, every reply arrives, and the channel's own checks hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lessonsOf, topicsOf, type Course, type Question } from '../../../src/core/course.js';
import { fold } from '../../../src/core/parse.js';

/** One message as the person sees it on screen. */
export interface Seen {
  /** Its text as shown, formatting removed. */
  text: string;
  /** Buttons under it (Telegram); none on text-only channels. */
  buttons: { label: string; data: string }[];
}

/** Someone on the channel: types, taps, and reads the bot's messages. */
export interface Person {
  /** Types a line; resolves the messages the bot sent in reply, once everything is quiet. */
  type(text: string): Promise<Seen[]>;
  /** Taps a button of the last message (channels with buttons only). */
  tap?(data: string): Promise<Seen[]>;
}

/** A running channel set-up: the application behind it, one person, and what the platform limits. */
export interface Rig {
  person: Person;
  /** The platform's limits on what one message may carry. */
  limits: { text: number; caption?: number };
  /** Every message sent so far, with its length as the platform counts it, for the limit check. */
  sizes(): { kind: 'text' | 'caption'; length: number; preview: string }[];
  /** Problems only this platform has (e.g. unanswered callback queries); empty when fine. */
  problems(): Promise<string[]>;
  /**
   * The certificate as the platform delivered it: the code its message names, how it came
   * (a document, a photo and a link, a file path) and the PDF's bytes where the test can reach them.
   */
  certificate(): Promise<{ how: string; pdf?: Buffer; code: string }>;
  course: Course;
  /** Moves the application's clock on (to the day review questions are due). */
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface ChannelSetup {
  name: string;
  /** How the person opens the chat ("/start", or a plain "Xin chào" on Zalo). */
  opening: string;
  start(): Promise<Rig>;
}

/** Lines the bot says when it did not take what it was sent: an offered choice must never get one. */
const REFUSALS = ['Tôi chưa hiểu', 'Hãy trả lời bằng', 'Câu hỏi đó đã qua', 'Tôi không biết lệnh', 'Tin nhắn trống', 'Hãy chọn số thứ tự'];

/** Compared the way a person reads: case, diacritics, punctuation and symbols ignored. */
export function plain(text: string): string {
  return fold(text)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A listed choice: `1. …` or `A. …` at the end of a text-channel message. */
interface Listed {
  mark: string;
  label: string;
}

/** The numbered or lettered list that ends a message (text channels list choices; Telegram lists answer options). */
export function listedChoices(text: string): Listed[] {
  const lines = text.split('\n');
  const out: Listed[] = [];
  let i = lines.length - 1;
  // A hint line may follow the list.
  if (i >= 0 && !/^\s*(\d{1,2}|[A-Z])\.\s/.test(lines[i]!)) i -= 1;
  for (; i >= 0; i--) {
    const m = /^\s*(\d{1,2}|[A-Z])\.\s(.+)$/.exec(lines[i]!);
    if (!m) break;
    out.unshift({ mark: m[1]!, label: m[2]!.trim() });
  }
  return out;
}

/** A choice as offered: how to pick it by tapping, by its mark, or by its words. */
interface Offered {
  label: string;
  mark?: string;
  data?: string;
}

function offered(m: Seen): Offered[] {
  const listed = listedChoices(m.text);
  if (m.buttons.length === 0) return listed;
  // Telegram: lettered answers are listed in the text with letter buttons; other choices are labelled buttons.
  const lettered = listed.length === m.buttons.length && m.buttons.every((b, i) => b.label === listed[i]!.mark);
  return m.buttons.map((b, i) => (lettered ? { label: listed[i]!.label, mark: b.label, data: b.data } : { label: b.label, data: b.data }));
}

/** The course question a message asks: its text is in the message and its options are the ones shown. */
export function questionIn(course: Course, text: string, labels: string[]): Question | undefined {
  const all = [...lessonsOf(course).flatMap((l) => l.questions), ...topicsOf(course).flatMap((t) => t.finalBank)];
  const body = plain(text);
  const shown = labels.map(plain).sort();
  return all.find((q) => body.includes(plain(q.text.vi)) && JSON.stringify(q.options.map((o) => plain(o.vi)).sort()) === JSON.stringify(shown));
}

/** The ways to pick a choice, taken in turn so each is used along the journey. */
type Way = 'tap' | 'mark' | 'words' | 'folded';

class Journey {
  private turn = 0;
  readonly transcript: string[] = [];
  last: Seen[] = [];

  constructor(
    private readonly rig: Rig,
    private readonly ways: Way[],
  ) {}

  get lastMessage(): Seen {
    const m = this.last.at(-1);
    if (!m) throw new Error(`no reply; transcript so far:\n${this.transcript.slice(-6).join('\n---\n')}`);
    return m;
  }

  async type(text: string): Promise<void> {
    this.record(`> ${text}`, await this.rig.person.type(text));
  }

  private async tap(data: string, label: string): Promise<void> {
    this.record(`[tap ${label}]`, await this.rig.person.tap!(data));
  }

  /** Types something that is no choice: expects a help line, then the same offer as before. */
  async confuse(text: string): Promise<void> {
    const before = this.lastMessage;
    const replies = await this.rig.person.type(text);
    this.record(`> ${text}`, replies, true);
    expect(replies.length, `a help line and the offer again after "${text}"`).toBeGreaterThanOrEqual(2);
    expect(replies.at(-1), `the offer shown again after "${text}"`).toEqual(before);
  }

  private record(input: string, replies: Seen[], refusalExpected = false): void {
    this.transcript.push(input, ...replies.map((r) => r.text));
    expect(replies.length, `no reply to ${input}`).toBeGreaterThan(0);
    if (refusalExpected) {
      this.last = replies;
      return;
    }
    for (const r of replies) {
      const refused = REFUSALS.find((x) => r.text.includes(x));
      expect(refused, `"${input}" was refused:\n${r.text}\nafter:\n${this.transcript.slice(-8, -replies.length - 1).join('\n---\n')}`).toBeUndefined();
    }
    this.last = replies;
  }

  /** Picks the offered choice whose label satisfies `which`, the next way in turn. */
  async choose(which: (label: string, index: number) => boolean, what: string): Promise<void> {
    const choices = offered(this.lastMessage);
    const index = choices.findIndex((c, i) => which(c.label, i));
    expect(index, `${what} is not offered in:\n${this.lastMessage.text}`).toBeGreaterThanOrEqual(0);
    const choice = choices[index]!;
    const way = this.ways[this.turn++ % this.ways.length]!;
    if (way === 'tap' && choice.data && this.rig.person.tap) return this.tap(choice.data, choice.label);
    if (way === 'words') return this.type(choice.label.replace(/[▶]/gu, '').trim());
    if (way === 'folded') return this.type(plain(choice.label));
    return this.type(choice.mark ?? String(index + 1));
  }

  /** Answers the question in the last message with its right option. */
  async answer(course: Course): Promise<'lesson' | 'final'> {
    const m = this.lastMessage;
    const choices = offered(m);
    const q = questionIn(course, m.text, choices.map((c) => c.label));
    expect(q, `no question of the course matches:\n${m.text}`).toBeDefined();
    const right = plain(q!.options[q!.correctIndex]!.vi);
    await this.choose((label) => plain(label) === right, `the right answer of ${q!.id}`);
    expect(this.last[0]!.text.startsWith('✅') || q!.lessonId === undefined, `a right answer to ${q!.id} was not taken as right`).toBe(true);
    return q!.lessonId ? 'lesson' : 'final';
  }

  has(text: string): boolean {
    return this.last.some((m) => m.text.includes(text));
  }
}

/** The whole journey, as one person, on one channel set-up. */
export function describeConformance(setup: ChannelSetup, opts: { ways?: Way[] } = {}): void {
  describe(`the ${setup.name} channel`, () => {
    let rig: Rig;
    beforeAll(async () => {
      rig = await setup.start();
    }, 60_000);
    afterAll(async () => {
      await rig?.close();
    });

    it('should take a person through onboarding, every lesson, /tiendo, /onlai and the final test by what it offers', async () => {
      const course = rig.course;
      const j = new Journey(rig, opts.ways ?? ['mark', 'mark', 'words', 'mark', 'folded']);
      await j.type(setup.opening);
      await j.choose((l) => l === 'Tiếng Việt', 'Tiếng Việt');
      expect(j.has('Họ và tên')).toBe(true);
      await j.type('Nguyễn Thị Hoà');
      await j.choose((l) => l === 'Phó Chủ tịch UBND xã', 'the role');
      expect(j.has('tỉnh/thành phố')).toBe(true);
      await j.type('Nghệ An');
      if (j.has('huyện')) await j.type('Huyện Nghi Lộc');
      await j.type('Xã Nghi Lộc');
      await j.choose((l) => l === 'Đồng ý', 'consent');
      await j.choose((l) => l === '08:00', '08:00');
      expect(j.has('Chuyên đề 1 · Bài 1/')).toBe(true);

      const lessons = lessonsOf(course).length;
      const finalQuestions = course.final.questions;
      let answeredFinal = 0;
      let progressChecked = false;
      let reviewed = false;
      const confused = new Set<string>();
      /** Once per kind of step: input that is no choice gets a help line and the same offer again. */
      const confuseOnce = async (kind: string) => {
        if (confused.has(kind)) return;
        confused.add(kind);
        await j.confuse('hôm nay trời đẹp quá');
      };
      for (let step = 0; step < 2000 && answeredFinal < finalQuestions; step++) {
        const m = j.lastMessage;
        const labels = offered(m).map((c) => c.label);
        if (labels.length === 0) throw new Error(`the journey stopped at a message with no choice:\n${m.text}`);
        if (listedChoices(m.text).some((c) => /^[A-Z]$/.test(c.mark))) {
          if (m.text.includes('📝 Câu')) await confuseOnce('final question');
          if ((await j.answer(course)) === 'final') answeredFinal += 1;
        } else if (labels.includes('Làm bài kiểm tra') && !progressChecked) {
          await j.type('/tiendo');
          expect(j.has(`Đã học ${lessons}/${lessons} bài`)).toBe(true);
          progressChecked = true;
          // /tiendo offers nothing: what was offered before is still offered.
          await j.type('1');
          expect(j.lastMessage.text).toContain('Bài kiểm tra cuối khóa');
          await j.choose((l) => l === 'Để sau', 'putting the test off');
          // Four days on, the questions answered on day one are due (right the first time: 3 days): /onlai asks them one at a
          // time (the loop answers them as offered), then /kiemtra offers a short review first.
          rig.advance(4 * 24 * 3600 * 1000);
          await j.type('/onlai');
          expect(j.has('câu đến hạn ôn tập')).toBe(true);
          expect(j.lastMessage.text).toContain('🔁 Ôn tập 1/');
          reviewed = true;
        } else if (labels.includes('Bắt đầu làm bài')) {
          await j.choose((l) => l === 'Bắt đầu làm bài', 'the start of the test');
        } else {
          if (labels.includes('Bài tiếp theo ▶')) await confuseOnce('end of a lesson');
          await j.choose((_, i) => i === 0, 'the first choice');
        }
      }
      expect(progressChecked).toBe(true);
      expect(reviewed).toBe(true);
      expect(j.transcript.some((t) => t.includes('Ôn xong: đúng 10/10 câu'))).toBe(true);
      expect(j.transcript.some((t) => t.includes('câu ôn nhanh trước khi thi?'))).toBe(true);
      expect([...confused].sort()).toEqual(['end of a lesson', 'final question']);
      expect(j.has('100%')).toBe(true);
      await j.type('/tiendo');
      expect(j.has('Bài kiểm tra cuối khóa: ĐẠT (100%)')).toBe(true);
      expect(j.has(`Đã học ${lessons}/${lessons} bài`)).toBe(true);

      // The pass brought the certificate, in the same conversation; /chungnhan sends the same one again.
      const delivered = await rig.certificate();
      expect(delivered.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      if (delivered.pdf) expect(delivered.pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      await j.type('/chungnhan');
      expect(j.has(`Mã xác minh: ${delivered.code}`), 'the same certificate sent again').toBe(true);
      await j.type(`/xacminh ${delivered.code.toLowerCase()}`);
      expect(j.has('Chứng nhận hợp lệ') && j.has('Nguyễn Thị Hoà')).toBe(true);

      for (const s of rig.sizes()) {
        const limit = s.kind === 'caption' ? (rig.limits.caption ?? rig.limits.text) : rig.limits.text;
        expect(s.length, `a ${s.kind} over ${limit} characters: ${s.preview}`).toBeLessThanOrEqual(limit);
      }
      expect(await rig.problems()).toEqual([]);
    }, 240_000);
  });
}
