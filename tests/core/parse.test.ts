import { describe, expect, it } from 'vitest';
import { bareCommand, fold, parseCommand, resolveChoice, isNextWord } from '../../src/core/parse.js';
import { matchProvince, nameCase, parseHour } from '../../src/core/onboarding.js';
import { durationMs, isIsoDuration } from '../../src/core/durations.js';
import { join } from 'node:path';
import { loadContent } from '../../src/content/load.js';
import { ContentCatalog } from '../../src/content/catalog.js';
import { ROOT } from '../support/env.js';

const choices = [
  { label: 'Thể chế, chính sách', value: 'ans:q:0' },
  { label: 'Phần cứng máy tính', value: 'ans:q:1' },
  { label: 'Mạng viễn thông', value: 'ans:q:2' },
];

describe('reading what learners type', () => {
  it('should fold Vietnamese diacritics and đ', () => {
    expect(fold('  Tiếp Tục! ')).toBe('tiep tuc');
    expect(fold('Đồng ý')).toBe('dong y');
  });

  it('should read letters, numbers and option words as choices', () => {
    expect(resolveChoice('A', choices)?.value).toBe('ans:q:0');
    expect(resolveChoice('b.', choices)?.value).toBe('ans:q:1');
    expect(resolveChoice('(c)', choices)?.value).toBe('ans:q:2');
    expect(resolveChoice('2', choices)?.value).toBe('ans:q:1');
    expect(resolveChoice('mang vien thong', choices)?.value).toBe('ans:q:2');
    expect(resolveChoice('d', choices)).toBeUndefined();
    expect(resolveChoice('4', choices)).toBeUndefined();
    expect(resolveChoice('😀', choices)).toBeUndefined();
  });

  it('should read an option by its words when its label carries symbols such as ▶', () => {
    const next = [{ label: 'Bài tiếp theo ▶', value: 'next' }];
    expect(resolveChoice('Bài tiếp theo', next)?.value).toBe('next');
    expect(resolveChoice('bai tiep theo ▶', next)?.value).toBe('next');
    expect(resolveChoice('bai tiep', next)?.value).toBe('next');
    expect(resolveChoice('▶', next)).toBeUndefined();
  });

  it('should read an option by the start of its words or a whole-word part of it, when only one option has it', () => {
    const roles = [
      { label: 'Chủ tịch UBND xã', value: 'chair' },
      { label: 'Phó Chủ tịch UBND xã', value: 'vice' },
      { label: 'Cán bộ Sở / đội ngũ nòng cốt CĐS', value: 'core' },
      { label: 'Chức vụ khác', value: 'other' },
    ];
    expect(resolveChoice('phó chủ tịch', roles)?.value).toBe('vice');
    expect(resolveChoice('pho chu tich', roles)?.value).toBe('vice');
    expect(resolveChoice('Chủ tịch', roles)?.value).toBe('chair');
    expect(resolveChoice('khác', roles)?.value).toBe('other');
    expect(resolveChoice('can bo so', roles)?.value).toBe('core');
    // In two labels, or too short, or not whole words: asked again rather than guessed.
    expect(resolveChoice('UBND xã', roles)).toBeUndefined();
    expect(resolveChoice('xa', roles)).toBeUndefined();
    expect(resolveChoice('chu ti', roles)).toBeUndefined();
    expect(resolveChoice('tich ubnd xa nghi loc', roles)).toBeUndefined();
  });

  it('should read commands in Vietnamese and English, with a bot suffix and a payload', () => {
    expect(parseCommand('/tiendo')?.name).toBe('progress');
    expect(parseCommand('/PROGRESS@cds_bot')?.name).toBe('progress');
    expect(parseCommand('/start INV-1')).toEqual({ name: 'start', raw: 'start', payload: 'INV-1' });
    expect(parseCommand('/khongco')?.name).toBe('unknown');
    expect(parseCommand('hoc')).toBeNull();
    expect(isNextWord('Tiếp tục')).toBe(true);
    expect(isNextWord('tiep tuc')).toBe(true);
  });

  it('should match provinces without diacritics, prefixes or full names', () => {
    const list = ['Hà Nội', 'Hồ Chí Minh', 'Hà Tĩnh', 'Thanh Hóa'];
    expect(matchProvince(list, 'ha noi')).toEqual({ kind: 'one', name: 'Hà Nội' });
    expect(matchProvince(list, 'TP HCM')).toEqual({ kind: 'one', name: 'Hồ Chí Minh' });
    expect(matchProvince(list, 'Tỉnh Thanh Hoá')).toEqual({ kind: 'one', name: 'Thanh Hóa' });
    expect(matchProvince(list, 'ha')).toEqual({ kind: 'many', options: ['Hà Nội', 'Hà Tĩnh'] });
    expect(matchProvince(list, 'Paris')).toEqual({ kind: 'none' });
  });

  it('should match provinces as English speakers write them', () => {
    const list = ['Hà Nội', 'Hồ Chí Minh', 'Đà Nẵng', 'Hải Phòng', 'Đắk Lắk', 'Quảng Ninh', 'Huế'];
    expect(matchProvince(list, 'Hanoi')).toEqual({ kind: 'one', name: 'Hà Nội' });
    expect(matchProvince(list, 'Hanoi City')).toEqual({ kind: 'one', name: 'Hà Nội' });
    expect(matchProvince(list, 'Ho Chi Minh City')).toEqual({ kind: 'one', name: 'Hồ Chí Minh' });
    expect(matchProvince(list, 'HCMC')).toEqual({ kind: 'one', name: 'Hồ Chí Minh' });
    expect(matchProvince(list, 'Saigon')).toEqual({ kind: 'one', name: 'Hồ Chí Minh' });
    expect(matchProvince(list, 'Danang')).toEqual({ kind: 'one', name: 'Đà Nẵng' });
    expect(matchProvince(list, 'Haiphong')).toEqual({ kind: 'one', name: 'Hải Phòng' });
    expect(matchProvince(list, 'Daklak')).toEqual({ kind: 'one', name: 'Đắk Lắk' });
    expect(matchProvince(list, 'Quang Ninh province')).toEqual({ kind: 'one', name: 'Quảng Ninh' });
    expect(matchProvince(list, 'Hue')).toEqual({ kind: 'one', name: 'Huế' });
    // Not every word squashed together is a province.
    expect(matchProvince(list, 'Hanoitown')).toEqual({ kind: 'none' });
  });

  it('should take a province merged in 2025 to the province it is part of now, by the shipped list', () => {
    const content = loadContent(join(ROOT, 'content'));
    const catalog = new ContentCatalog(content);
    const list = catalog.provinces('current');
    const former = catalog.formerProvinces('current');
    // The 29 merged on 1 July 2025 and Thừa Thiên Huế: every one a province of 2022, none of today's.
    expect(former.size).toBe(30);
    for (const [name, now] of former) {
      expect(catalog.provinces('2022')).toContain(name);
      expect(list).toContain(now);
      expect(list).not.toContain(name);
    }
    const one = (input: string) => matchProvince(list, input, former);
    expect(one('Quảng Nam')).toEqual({ kind: 'one', name: 'Đà Nẵng', former: 'Quảng Nam' });
    expect(one('tinh binh duong')).toEqual({ kind: 'one', name: 'Hồ Chí Minh', former: 'Bình Dương' });
    expect(one('Vũng Tàu')).toEqual({ kind: 'one', name: 'Hồ Chí Minh', former: 'Bà Rịa - Vũng Tàu' });
    expect(one('Thừa Thiên Huế')).toEqual({ kind: 'one', name: 'Huế', former: 'Thừa Thiên Huế' });
    expect(one('Nam Dinh')).toEqual({ kind: 'one', name: 'Ninh Bình', former: 'Nam Định' });
    // Today's names come first, whole or in part; a part of former names that joined different provinces matches none.
    expect(one('Huế')).toEqual({ kind: 'one', name: 'Huế' });
    expect(one('Ninh Binh')).toEqual({ kind: 'one', name: 'Ninh Bình' });
    expect(one('Nam')).toEqual({ kind: 'none' });
    expect(one('Quang Namm')).toEqual({ kind: 'none' });
    // Without the map (the 2022 list has none), a former name is not guessed.
    expect(matchProvince(list, 'Quảng Nam')).toEqual({ kind: 'none' });
    expect(catalog.formerProvinces('2022').size).toBe(0);
  });

  it('should read the commands that only show or go on when typed as words, without the slash', () => {
    expect(bareCommand('Tiến độ')).toBe('progress');
    expect(bareCommand('tiendo')).toBe('progress');
    expect(bareCommand('học')).toBe('learn');
    expect(bareCommand('Kiểm tra!')).toBe('exam');
    expect(bareCommand('chứng nhận')).toBe('certificate');
    expect(bareCommand('ôn lại')).toBe('review');
    expect(bareCommand('progress')).toBe('progress');
    expect(bareCommand('menu')).toBe('help');
    expect(bareCommand(' ?? ')).toBe('help');
    expect(bareCommand('Trợ giúp')).toBe('help');
    // Never one that changes a setting, stops the messages or takes a code; nor a sentence.
    expect(bareCommand('dừng')).toBeUndefined();
    expect(bareCommand('ngôn ngữ')).toBeUndefined();
    expect(bareCommand('start')).toBeUndefined();
    expect(bareCommand('xác minh')).toBeUndefined();
    expect(bareCommand('tôi muốn xem tiến độ')).toBeUndefined();
  });

  it('should write a name typed all in small letters or all in capitals as a name, and keep one typed with both', () => {
    expect(nameCase('nguyen van an')).toBe('Nguyen Van An');
    expect(nameCase('LÊ THỊ HOA')).toBe('Lê Thị Hoa');
    expect(nameCase('đặng thị ánh-nguyệt')).toBe('Đặng Thị Ánh-Nguyệt');
    expect(nameCase('Nguyễn văn An')).toBe('Nguyễn văn An');
    expect(nameCase('Mai Văn Cắt')).toBe('Mai Văn Cắt');
  });

  it('should read hours typed in several ways', () => {
    expect(parseHour('8')).toBe(8);
    expect(parseHour('20h')).toBe(20);
    expect(parseHour('07:00')).toBe(7);
    expect(parseHour('24')).toBeUndefined();
    expect(parseHour('sáng')).toBeUndefined();
  });

  it('should read ISO-8601 durations of reminders', () => {
    expect(durationMs('P7D')).toBe(7 * 24 * 3600 * 1000);
    expect(durationMs('PT3H')).toBe(3 * 3600 * 1000);
    expect(durationMs('PT30S')).toBe(30_000);
    expect(isIsoDuration('P')).toBe(false);
    expect(isIsoDuration('3 days')).toBe(false);
  });
});
