import { describe, expect, it } from 'vitest';
import { renderPlain, splitText, toPlainText } from '../../../src/channels/shared/render.js';

const choices = [
  { label: 'Thể chế, chính sách', value: 'ans:q:0' },
  { label: 'Phần cứng máy tính', value: 'ans:q:1' },
  { label: 'Mạng viễn thông', value: 'ans:q:2' },
];

describe('plain rendering for text channels', () => {
  it('should turn the lesson markup into plain text', () => {
    expect(toPlainText('**Đậm** và _nghiêng_ [nguồn](https://a.vn/x)')).toBe('Đậm và nghiêng nguồn (https://a.vn/x)');
  });

  it('should letter answers and number other choices', () => {
    expect(renderPlain({ text: 'Q', choices, lettered: true, hint: 'h' })).toContain('  B. Phần cứng máy tính');
    expect(renderPlain({ text: 'Q', choices, lettered: true, hint: 'h' }).endsWith('\nh')).toBe(true);
    expect(renderPlain({ text: 'Q', choices: [{ label: 'Tiếp tục', value: 'next' }] })).toContain('  1. Tiếp tục');
  });

  it('should split long text at paragraph boundaries under the limit', () => {
    const text = Array.from({ length: 10 }, (_, i) => `Đoạn ${i} ${'x'.repeat(300)}`).join('\n\n');
    const parts = splitText(text, 2000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 2000)).toBe(true);
    expect(parts.every((p) => p.startsWith('Đoạn'))).toBe(true);
    expect(parts.join('\n\n')).toBe(text);
  });
});
