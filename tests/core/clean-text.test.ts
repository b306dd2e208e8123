import { describe, expect, it } from 'vitest';
import { useEngine } from '../support/env.js';
import { ChatLearner } from '../support/chat.js';
import { cleanText, isGarbled } from '../../src/core/parse.js';
import { MongoLearnerStore } from '../../src/storage/stores.js';

const h = useEngine();

const RLO = '\u202e';
const ZWSP = '\u200b';
const ZWJ = '\u200d';
const SOFT_HYPHEN = '\u00ad';
const BOM = '\ufeff';
const LRI = '\u2066';
const PDI = '\u2069';

async function profile(a: ChatLearner) {
  return (await new MongoLearnerStore(h.db.models, h.cache).findByConversation(a.conversation))!.profile;
}

/** Onboards up to the name prompt. */
async function atNamePrompt(): Promise<ChatLearner> {
  const a = new ChatLearner(h.tutor);
  await a.say('/start');
  await a.say('1');
  expect(a.text()).toContain('Họ và tên');
  return a;
}

describe('cleanText', () => {
  it('should compose decomposed (NFD) Vietnamese into NFC', () => {
    const nfd = 'Nguyễn Thị Hoà'.normalize('NFD');
    expect(nfd).not.toBe('Nguyễn Thị Hoà');
    expect(cleanText(nfd)).toBe('Nguyễn Thị Hoà'.normalize('NFC'));
  });

  it('should remove invisible formatting: zero-width characters, bidi overrides and isolates, soft hyphens, BOM', () => {
    expect(cleanText(`${BOM}Trần${ZWSP} Văn${SOFT_HYPHEN} ${RLO}Bình${ZWJ}${LRI}x${PDI}`)).toBe('Trần Văn Bìnhx');
  });

  it('should turn control characters into spaces and fold white space', () => {
    expect(cleanText('Lê\u0007Minh\u0085  Tuấn\t\n')).toBe('Lê Minh Tuấn');
  });

  it('should tell a text with the replacement character', () => {
    expect(isGarbled('Nguy\ufffdn')).toBe(true);
    expect(isGarbled('Nguyễn')).toBe(false);
  });
});

describe('names and places the tutor stores', () => {
  it('should store a name typed with a right-to-left override and zero-width characters without them', async () => {
    const a = await atNamePrompt();
    await a.say(`${RLO}Phạm${ZWSP} Văn${ZWJ} Cường${BOM}`);
    expect(a.text()).toContain('Chức vụ');
    expect((await profile(a)).fullName).toBe('Phạm Văn Cường');
  });

  it('should store a name typed in decomposed form (NFD) composed (NFC)', async () => {
    const a = await atNamePrompt();
    await a.say('Đặng Thị Thuỷ'.normalize('NFD'));
    const name = (await profile(a)).fullName!;
    expect(name).toBe('Đặng Thị Thuỷ'.normalize('NFC'));
    expect(name.normalize('NFC')).toBe(name);
  });

  it('should refuse a name with the replacement character, say why, and ask again', async () => {
    const a = await atNamePrompt();
    await a.say('Nguy\ufffdn V\ufffdn An');
    expect(a.last[0]!.text).toContain('ký tự bị lỗi');
    expect(a.last.at(-1)!.text).toContain('Họ và tên');
    expect((await profile(a)).fullName).toBeUndefined();
    await a.say('Nguyễn Văn An');
    expect((await profile(a)).fullName).toBe('Nguyễn Văn An');
  });

  it('should refuse a name made only of invisible characters', async () => {
    const a = await atNamePrompt();
    await a.say(`${ZWSP}${RLO}${ZWJ}`);
    expect(a.last.at(-1)!.text).toContain('Họ và tên');
    expect((await profile(a)).fullName).toBeUndefined();
  });

  it('should store the commune and feedback without invisible formatting, composed', async () => {
    const a = new ChatLearner(h.tutor);
    await a.onboard({ commune: `Xã ${RLO}Nghi${ZWSP} Lộc`.normalize('NFD') });
    expect((await profile(a)).commune).toBe('Xã Nghi Lộc');
    await a.say('/gopy');
    await a.say(`Bài học${SOFT_HYPHEN} rất ${LRI}hay${PDI}`.normalize('NFD'));
    const learner = await new MongoLearnerStore(h.db.models, h.cache).findByConversation(a.conversation);
    const feedback = await h.db.models.Feedback.findOne({ learnerId: learner!.id }).lean<{ text: string }>();
    expect(feedback!.text).toBe('Bài học rất hay');
  });
});
