/** ISO-8601 durations as cohorts use them for reminders: P7D, PT3H, P1DT12H, PT30M, PT45S. */
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export function isIsoDuration(text: string): boolean {
  const m = ISO.exec(text);
  return !!m && text !== 'P' && text !== 'PT' && !text.endsWith('T') && m.slice(1).some((x) => x !== undefined);
}

/** Milliseconds in a duration; throws on text that is not one. */
export function durationMs(text: string): number {
  const m = ISO.exec(text);
  if (!m || !isIsoDuration(text)) throw new Error(`not an ISO-8601 duration: ${text}`);
  const [w, d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number];
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}
