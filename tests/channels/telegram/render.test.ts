import { describe, expect, it } from 'vitest';
import { TelegramError } from 'telegraf';
import { CAPTION_LIMIT, TEXT_LIMIT, keyboard, renderParts, toTelegramHtml } from '../../../src/channels/telegram/render.js';
import { toSendError } from '../../../src/channels/telegram/errors.js';
import { classifyUpdate } from '../../../src/channels/telegram/updates.js';
import { menuCommands } from '../../../src/channels/telegram/commands.js';
import { parseCommand } from '../../../src/core/parse.js';
import { fixture, FIXTURE_CHAT } from '../../support/telegram.js';

describe('rendering for Telegram HTML', () => {
  it('should turn bold, italic and links into tags and escape everything else', () => {
    const html = toTelegramHtml('**Chuyển đổi số** & <script>alert(1)</script> _quan trọng_ [Cổng DVC](https://dichvucong.gov.vn/p?a=1&b=2)');
    expect(html).toBe(
      '<b>Chuyển đổi số</b> &amp; &lt;script&gt;alert(1)&lt;/script&gt; <i>quan trọng</i> <a href="https://dichvucong.gov.vn/p?a=1&amp;b=2">Cổng DVC</a>',
    );
  });

  it('should leave snake_case words and unmatched markers alone', () => {
    expect(toTelegramHtml('file_name_here and **unclosed')).toBe('file_name_here and **unclosed');
  });

  it('should not let a link smuggle markup through its URL', () => {
    expect(toTelegramHtml('[x](https://a.vn/"onclick=")')).toBe('<a href="https://a.vn/&quot;onclick=&quot;">x</a>');
  });

  it('should split text over 4,096 characters at paragraph boundaries with the buttons on the last piece', () => {
    const paragraph = 'Chuyển đổi số cấp xã. '.repeat(40).trim();
    const text = Array.from({ length: 8 }, () => paragraph).join('\n\n');
    expect(text.length).toBeGreaterThan(TEXT_LIMIT);
    const parts = renderParts({ text, choices: [{ label: 'Tiếp tục ▶', value: 'next' }] });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.html.length).toBeLessThanOrEqual(TEXT_LIMIT);
      expect(p.html.endsWith('.')).toBe(true);
    }
    expect(parts.map((p) => p.html).join('\n\n')).toBe(text);
    expect(parts.slice(0, -1).every((p) => !p.keyboard)).toBe(true);
    expect(parts.at(-1)!.keyboard).toEqual({ inline_keyboard: [[{ text: 'Tiếp tục ▶', callback_data: 'next' }]] });
  });

  it('should put a short text in the photo caption and a long one after the photo', () => {
    const short = renderParts({ text: '**Bài 1**', image: 'courses/cds-xa/img/1.png' });
    expect(short).toEqual([{ html: '<b>Bài 1</b>', photo: 'courses/cds-xa/img/1.png' }]);
    const long = renderParts({ text: 'a'.repeat(CAPTION_LIMIT + 1), image: 'https://example.vn/1.png', choices: [{ label: 'OK', value: 'next' }] });
    expect(long).toHaveLength(2);
    expect(long[0]).toEqual({ html: '', photo: 'https://example.vn/1.png' });
    expect(long[1]!.keyboard).toBeDefined();
  });

  it('should list answer options in the text with letter buttons, five to a row', () => {
    const parts = renderParts({
      text: '❓ Câu hỏi nhanh:',
      lettered: true,
      hint: 'Trả lời bằng chữ cái',
      choices: [
        { label: 'Một phương án rất dài mà nút bấm sẽ cắt mất', value: 'ans:q1:0' },
        { label: 'Phương án B', value: 'ans:q1:1' },
      ],
    });
    expect(parts[0]!.html).toBe('❓ Câu hỏi nhanh:\n\nA. Một phương án rất dài mà nút bấm sẽ cắt mất\nB. Phương án B');
    expect(parts[0]!.keyboard).toEqual({ inline_keyboard: [[{ text: 'A', callback_data: 'ans:q1:0' }, { text: 'B', callback_data: 'ans:q1:1' }]] });
  });

  it('should put short labels four to a row and long ones one to a row', () => {
    const hours = keyboard({ text: '?', choices: [6, 7, 8, 12, 17].map((h) => ({ label: `${h}:00`, value: `hour:${h}` })) });
    expect(hours!.inline_keyboard.map((r) => r.length)).toEqual([4, 1]);
    const roles = keyboard({ text: '?', choices: [{ label: 'Chủ tịch UBND xã', value: 'role:chair' }, { label: 'Khác', value: 'role:other' }] });
    expect(roles!.inline_keyboard.map((r) => r.length)).toEqual([1, 1]);
  });

  it('should refuse callback data over 64 bytes, counting UTF-8 bytes not characters', () => {
    expect(() => keyboard({ text: '?', choices: [{ label: 'x', value: 'a'.repeat(64) }] })).not.toThrow();
    expect(() => keyboard({ text: '?', choices: [{ label: 'x', value: 'đ'.repeat(33) }] })).toThrow(/66 bytes/);
  });
});

describe('mapping Telegram errors', () => {
  const err = (error_code: number, description: string, parameters?: { retry_after: number }) =>
    new TelegramError({ error_code, description, ...(parameters ? { parameters } : {}) }, { method: 'sendMessage', payload: {} });

  it('should map 429 to rate_limited with retry_after in milliseconds', () => {
    const e = toSendError(err(429, 'Too Many Requests: retry after 7', { retry_after: 7 }));
    expect(e).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7000 });
  });

  it('should map every 403 to blocked', () => {
    for (const d of ['Forbidden: bot was blocked by the user', 'Forbidden: user is deactivated', "Forbidden: bot can't initiate conversation with a user"]) {
      expect(toSendError(err(403, d)).kind).toBe('blocked');
    }
  });

  it('should map 400 to rejected, and 5xx and transport failures to network', () => {
    expect(toSendError(err(400, 'Bad Request: chat not found')).kind).toBe('rejected');
    expect(toSendError(err(502, 'Bad Gateway')).kind).toBe('network');
    expect(toSendError(Object.assign(new Error('request to http://x failed, reason: ECONNREFUSED'), { name: 'FetchError' })).kind).toBe('network');
  });
});

describe('reading Telegram updates', () => {
  const now = new Date('2022-05-06T01:00:00Z');
  const read = (name: string) => classifyUpdate(fixture(name, { updateId: 42 }), now);

  it('should read private text, /start PAYLOAD and Vietnamese text as text events of conversation telegram:<chat>', () => {
    const a = read('start-payload');
    expect(a).toMatchObject({
      type: 'event',
      event: { conversation: `telegram:${FIXTURE_CHAT}`, channel: 'telegram', updateId: '42', kind: 'text', text: '/start INVITE_abc123', sender: { displayName: 'Hoa Nguyễn Thị', languageCode: 'vi' } },
    });
    expect(read('vietnamese-text')).toMatchObject({ event: { kind: 'text', text: expect.stringContaining('Chủ tịch UBND xã Diễn Châu') } });
    expect(read('help-botname')).toMatchObject({ event: { text: '/help@cds_tutor_bot' } });
  });

  it('should read a button press as a choice and keep its callback query id to answer', () => {
    expect(read('callback-query')).toMatchObject({ type: 'event', callbackQueryId: '2246371835647118417', event: { kind: 'choice', text: 'lang:vi' } });
  });

  it('should read a caption as text and stickers and contacts as unsupported', () => {
    expect(read('photo-caption')).toMatchObject({ event: { kind: 'text', text: 'tiếp tục' } });
    expect(read('sticker')).toMatchObject({ event: { kind: 'unsupported', text: '' } });
    expect(read('contact')).toMatchObject({ event: { kind: 'unsupported' } });
  });

  it('should read a kick as blocked and ignore edits, poll answers, channel posts and junk', () => {
    expect(read('my-chat-member-kicked')).toEqual({ type: 'blocked', conversation: `telegram:${FIXTURE_CHAT}` });
    for (const name of ['edited-message', 'poll-answer', 'channel-post']) expect(read(name).type).toBe('ignore');
    for (const junk of [null, 'x', [], { update_id: -1 }, { update_id: 1, message: { chat: 'x' } }]) expect(classifyUpdate(junk, now).type).toBe('ignore');
  });

  it('should see a group command as a group message, never as a learner', () => {
    expect(read('group-message')).toMatchObject({ type: 'group', chatId: -1001234567890, command: true, languageCode: 'vi' });
  });
});

describe('the command menu', () => {
  it('should list in each language only names the tutor understands, with descriptions from the locales', () => {
    for (const locale of ['vi', 'en'] as const) {
      const menu = menuCommands(locale, (key) => `${locale}:${key}`);
      expect(menu).toHaveLength(12);
      for (const c of menu) {
        expect(c.command).toMatch(/^[a-z]{1,32}$/);
        expect(parseCommand(`/${c.command}`)?.name).not.toBe('unknown');
      }
    }
    expect(menuCommands('vi', (k) => k).map((c) => c.command)).toContain('kiemtra');
    expect(menuCommands('vi', (k) => k).map((c) => c.command)).toContain('onlai');
    expect(menuCommands('vi', (k) => k).map((c) => c.command)).toContain('xacminh');
    expect(menuCommands('en', (k) => k).find((c) => c.command === 'exam')!.description).toBe('telegram.commands.exam');
  });
});
