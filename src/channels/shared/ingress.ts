/**
 * Limits applied where a platform's input enters, the same on every channel (webhook and
 * polling alike), so nothing unbounded reaches the queues, Redis or MongoDB. Lengths count
 * UTF-16 code units (what JavaScript and Telegram call characters) and never split a
 * surrogate pair; callback data counts UTF-8 bytes, as Telegram does.
 */
export const INGRESS_LIMITS = {
  /**
   * Text a learner typed: Telegram's own message limit. It must stay above the core's MAX_INPUT
   * (4,000; a test checks), so a longer text still reaches the tutor over its limit and is answered
   * "too long" with the current prompt, while what is queued stays small.
   */
  textChars: 4096,
  /** A first, last or display name: generous for any real name, and it only pre-fills onboarding. */
  nameChars: 100,
  /** Button data: Telegram's limit for what we send, so anything longer is not ours anyway. */
  callbackDataBytes: 64,
  /** An IETF language tag such as `vi` or `en-US`. */
  languageCodeChars: 16,
  /**
   * Message dates accepted: from 2000-01-01 to a day after the receiving clock. Anything else
   * (negative, 1e20, years ahead) is not a real message: it is acknowledged and dropped.
   */
  earliestDate: Date.UTC(2000, 0, 1),
  futureToleranceMs: 24 * 60 * 60 * 1000,
} as const;

/** At most `max` UTF-16 code units, cut before a lone high surrogate. */
export function clipChars(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** At most `max` bytes of UTF-8, cut at a character boundary. */
export function clipBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** A name as the core may store it: trimmed, clipped, or undefined when empty. */
export function clipName(name: string | undefined): string | undefined {
  if (typeof name !== 'string') return undefined;
  const clipped = clipChars(name.trim(), INGRESS_LIMITS.nameChars).trim();
  return clipped === '' ? undefined : clipped;
}

/**
 * A message date (epoch milliseconds) checked against the receiving clock: the Date when it is
 * plausible, null when it is not (the caller drops the update).
 */
export function messageDate(epochMs: number, now: Date): Date | null {
  if (!Number.isFinite(epochMs)) return null;
  if (epochMs < INGRESS_LIMITS.earliestDate || epochMs > now.getTime() + INGRESS_LIMITS.futureToleranceMs) return null;
  const at = new Date(epochMs);
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * Where an adapter keeps the ingress start() gives it. The HTTP server listens before the
 * adapters start, so a webhook delivery may arrive a moment early: it waits for start() rather
 * than failing, up to `waitMs`, then fails (500, and the platform delivers it again).
 */
export class IngressSlot<T> {
  private value?: T;
  private waiting: ((value: T) => void)[] = [];

  set(value: T): void {
    this.value = value;
    for (const wake of this.waiting.splice(0)) wake(value);
  }

  async get(channel: string, waitMs = 10_000): Promise<T> {
    if (this.value !== undefined) return this.value;
    return new Promise<T>((resolve, reject) => {
      const wake = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== wake);
        reject(new Error(`the ${channel} channel has not started`));
      }, waitMs);
      this.waiting.push(wake);
    });
  }
}
