import { beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../support/env.js';
import { ChatLearner } from '../../support/chat.js';
import { findImport, importRoster, importRows } from '../../../src/admin/roster/import.js';
import { invitationCollections } from '../../../src/storage/invitations.js';
import { MongoLearnerStore } from '../../../src/storage/stores.js';
import { normalizeInviteCode, roleAt } from '../../../src/core/invites.js';
import { csv, principal, rosterDeps } from './rig.js';

const h = useEngine();
const codes: Record<string, string> = {};

beforeAll(async () => {
  const report = await importRoster(await rosterDeps(h), {
    bytes: csv([
      'Họ tên,Chức vụ,Tỉnh,Xã,Số điện thoại',
      'Nguyễn Văn An,Chủ tịch UBND xã,Nghệ An,Nghi Lộc,0912345678',
      'Trần Thị Bình,Phó Chủ tịch UBND xã,Nghệ An,Phường Vinh Phú,0912345679',
      'Lê Văn Châu,Chủ tịch,Hà Nội,Xã Sóc Sơn,',
      'Phạm Thị Dung,Chủ tịch,Huế,Xã Phú Vang,',
    ]),
    cohortId: 'demo',
    principal: principal('ministry'),
    from: 'cli',
  });
  for await (const r of importRows(h.db.conn, (await findImport(h.db.conn, report.importId))!)) codes[r.fullName!] = r.code!;
}, 30_000);

async function learnerOf(a: ChatLearner) {
  return new MongoLearnerStore(h.db.models, h.cache).findByConversation(a.conversation);
}

describe('starting with an invite code', () => {
  it('should pre-fill the profile and cohort from /start CODE and ask only to confirm it', async () => {
    const a = new ChatLearner(h.tutor, 'telegram', '880001', { languageCode: 'vi' });
    await a.say(`/start ${codes['Nguyễn Văn An']}`);
    expect(a.text()).toContain('Xin chào Nguyễn Văn An');
    expect(a.last.at(-1)!.text).toBe('Bạn là Nguyễn Văn An, Chủ tịch UBND xã Nghi Lộc, Nghệ An?');
    expect(a.lastChoices()).toEqual(['invite:yes', 'invite:edit']);
    expect(a.last.at(-1)!.choices!.map((c) => c.label)).toEqual(['Đúng', 'Sửa thông tin']);
    await a.press('invite:yes');
    expect(a.text()).toContain('đồng ý');
    await a.say('1');
    await a.say('8');
    expect(a.last.at(-1)!.text).toContain('Chuyên đề 1 · Bài 1/');
    const l = (await learnerOf(a))!;
    expect(l).toMatchObject({ cohortId: 'demo', onboarded: true, inviteCode: codes['Nguyễn Văn An'], profile: { fullName: 'Nguyễn Văn An', role: 'chair', province: 'Nghệ An', commune: 'Nghi Lộc', phone: '+84912345678' } });
    const inv = await invitationCollections(h.db.conn).invitations.findOne({ _id: codes['Nguyễn Văn An']! });
    expect(inv!.usedBy).toBe(l.id);
  });

  it('should take the code typed as a first message (Zalo, console), in any case and with a dash', async () => {
    const code = codes['Trần Thị Bình']!;
    const a = new ChatLearner(h.tutor, 'zalo', 'zl-880002');
    await a.say(`${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`);
    expect(a.last.at(-1)!.text).toBe('Bạn là Trần Thị Bình, Phó Chủ tịch UBND phường Vinh Phú, Nghệ An?');
    await a.say('dung');
    expect(a.text()).toContain('đồng ý');
  });

  it('should refuse a code used by someone else, and an unknown one, with a sentence and the usual onboarding', async () => {
    const other = new ChatLearner(h.tutor, 'zalo', 'zl-880003');
    await other.say(codes['Nguyễn Văn An']!);
    expect(other.last[0]!.text).toContain('đã được một người khác sử dụng');
    expect(other.lastChoices()).toEqual(['lang:vi', 'lang:en']);
    const l = (await learnerOf(other))!;
    expect(l.profile).toEqual({});
    expect(l.inviteCode).toBeUndefined();
    const unknown = new ChatLearner(h.tutor, 'console', 'c-880004');
    await unknown.say('/start ZZZZ2345');
    expect(unknown.last[0]!.text).toContain('Mã mời này không đúng');
    expect(unknown.lastChoices()).toEqual(['lang:vi', 'lang:en']);
  });

  it('should let the learner correct the details through the usual questions', async () => {
    const a = new ChatLearner(h.tutor, 'console', 'c-880005');
    await a.say(codes['Lê Văn Châu']!);
    await a.say('2');
    expect(a.text()).toContain('Danh sách ghi: Lê Văn Châu, Chủ tịch UBND xã, Xã Sóc Sơn, Hà Nội');
    expect(a.text()).toContain('Họ và tên');
    await a.say('Lê Văn Châu Anh');
    await a.say('2');
    await a.say('Hà Nội');
    await a.say('Xã Sóc Sơn');
    expect(a.text()).toContain('đồng ý');
    const l = (await learnerOf(a))!;
    expect(l.profile).toMatchObject({ fullName: 'Lê Văn Châu Anh', role: 'vice_chair', province: 'Hà Nội', commune: 'Xã Sóc Sơn' });
    expect(l.inviteCode).toBe(codes['Lê Văn Châu']);
  });

  it('should take a code from a learner who greeted first, and answer a repeated /start CODE as usual', async () => {
    const a = new ChatLearner(h.tutor, 'zalo', 'zl-880006');
    await a.say('Xin chào');
    await a.say(codes['Phạm Thị Dung']!);
    expect(a.last.at(-1)!.text).toBe('Bạn là Phạm Thị Dung, Chủ tịch UBND xã Phú Vang, Huế?');
    await a.say(codes['Phạm Thị Dung']!);
    expect(a.text()).not.toContain('người khác');
    const claims = await invitationCollections(h.db.conn).claims.countDocuments({ conversation: a.conversation });
    expect(claims).toBe(1);
  });

  it('should read codes without look-alike characters and put the role at the commune', () => {
    expect(normalizeInviteCode('abcd 2345')).toBe('ABCD2345');
    expect(normalizeInviteCode('ABCDEFGH')).toBeNull();
    expect(normalizeInviteCode('ABCD0123')).toBeNull();
    expect(roleAt('Chủ tịch UBND xã', 'Đặc khu Côn Đảo')).toBe('Chủ tịch UBND đặc khu Côn Đảo');
    expect(roleAt('Other position', 'Xã A')).toBe('Other position, Xã A');
  });
});
