/** Plain SVG charts rendered on the server: no script, readable by screen readers through their titles. */

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A horizontal bar of `percent` (0–100) in a 100×10 box, for table cells. */
export function bar(percent: number | null, label: string): string {
  const w = Math.max(0, Math.min(100, percent ?? 0));
  return `<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="${esc(label)}"><rect width="100" height="10" class="bar-bg"/><rect width="${w.toFixed(1)}" height="10" class="bar-fg"/></svg>`;
}

/** The funnel: one bar per step, its width relative to the first step, with the count and the percent of the previous step. */
export function funnel(steps: { label: string; n: number; percentOfPrevious: number | null }[], title: string): string {
  const max = Math.max(1, ...steps.map((s) => s.n));
  const rowH = 34;
  const h = steps.length * rowH;
  const rows = steps
    .map((s, i) => {
      const w = (s.n / max) * 100;
      const pct = s.percentOfPrevious === null ? '' : ` (${s.percentOfPrevious}%)`;
      return `<g transform="translate(0 ${i * rowH})"><rect x="0" y="4" width="${w.toFixed(2)}%" height="24" class="funnel-bar"/><text x="6" y="21" class="funnel-text">${esc(s.label)}: ${s.n.toLocaleString('vi-VN')}${pct}</text></g>`;
    })
    .join('');
  return `<svg class="funnel" width="100%" height="${h}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${rows}</svg>`;
}

/** A daily trend: one polyline per series over the dates given (cumulative is the caller's choice). */
export function trend(dates: string[], series: { label: string; values: number[]; cls: string }[], title: string): string {
  const W = 600;
  const H = 160;
  const pad = 24;
  if (dates.length === 0) return '';
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i: number) => pad + (dates.length === 1 ? (W - 2 * pad) / 2 : (i * (W - 2 * pad)) / (dates.length - 1));
  const y = (v: number) => H - pad - (v / max) * (H - 2 * pad);
  const lines = series
    .map((s) => `<polyline fill="none" class="${s.cls}" points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"><title>${esc(s.label)}</title></polyline>`)
    .join('');
  const axis = `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" class="axis"/><text x="${pad}" y="${H - 6}" class="tick">${esc(dates[0]!)}</text><text x="${W - pad}" y="${H - 6}" text-anchor="end" class="tick">${esc(dates.at(-1)!)}</text><text x="${pad}" y="14" class="tick">${max.toLocaleString('vi-VN')}</text>`;
  return `<svg class="trend" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${axis}${lines}</svg>`;
}
