/** Broadcast previews and progress as lines of text, in the reader's locale (CLI and chat). */
import type { Locale } from '../core/course.js';
import type { Translator } from '../core/ports.js';
import type { BroadcastView, Preview } from './service.js';

const list = (o: Record<string, number | undefined>, none: string) => {
  const parts = Object.entries(o)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, n]) => `${k || '?'} ${n}`);
  return parts.length ? parts.join(', ') : none;
};

export function previewLines(p: Preview, i18n: Translator, locale: Locale): string[] {
  const none = i18n.t(locale, 'broadcast.preview.none');
  return [
    i18n.t(locale, 'broadcast.preview.title'),
    i18n.t(locale, 'broadcast.preview.targeted', { count: p.targeted }),
    i18n.t(locale, 'broadcast.preview.byChannel', { list: list(p.byChannel, none) }),
    i18n.t(locale, 'broadcast.preview.byProvince', { list: list(p.byProvince, none) }),
    i18n.t(locale, 'broadcast.preview.unreachable', { count: p.unreachable }),
    i18n.t(locale, 'broadcast.preview.held', { count: p.heldByBudget }),
  ];
}

export function showLines(v: BroadcastView, i18n: Translator, locale: Locale): string[] {
  return [
    `${v.id} · ${v.text.vi.slice(0, 60)}`,
    i18n.t(locale, 'broadcast.show.state', { state: v.state }),
    i18n.t(locale, 'broadcast.show.counts', { ...v.counts }),
    ...(v.counts.failed ? [JSON.stringify(v.counts.failedReasons)] : []),
    ...Object.entries(v.byProvince).map(([province, c]) => i18n.t(locale, 'broadcast.show.province', { province: province || '?', ...c })),
  ];
}
