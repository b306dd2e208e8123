/** The certificate's typeface: Noto Serif (covers Vietnamese), shipped by an npm package, never a system font. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';

const require = createRequire(import.meta.url);

export const FONT_FAMILY = 'Noto Serif';

export const FONT_FILES = {
  regular: require.resolve('@expo-google-fonts/noto-serif/400Regular/NotoSerif_400Regular.ttf'),
  bold: require.resolve('@expo-google-fonts/noto-serif/700Bold/NotoSerif_700Bold.ttf'),
} as const;

export type Weight = keyof typeof FONT_FILES;

let loaded: Record<Weight, Buffer> | undefined;

/** The font files' bytes, read once per process. */
export function fontBytes(): Record<Weight, Buffer> {
  loaded ??= { regular: readFileSync(FONT_FILES.regular), bold: readFileSync(FONT_FILES.bold) };
  return loaded;
}

let parsed: Record<Weight, unknown> | undefined;

/**
 * The fonts parsed once (fontkit, the parser pdfkit uses): pdfkit takes a parsed font as well as
 * bytes, and parsing 500 KB of Noto Serif for every PDF was most of the time a PDF took.
 */
export function parsedFonts(): Record<Weight, unknown> {
  const bytes = fontBytes();
  parsed ??= { regular: fontkit.create(bytes.regular), bold: fontkit.create(bytes.bold) };
  return parsed;
}
