/**
 * The small pictures the desktop shell shows, drawn as SVG here and rendered to PNG at build time
 * (scripts/build.ts, with resvg) into dist/main/tray/: the tray icon (the app icon, and the same
 * with a red dot while something is unread) and the Windows taskbar overlay with the unread count
 * (1 to 9, then 9+). Digits are drawn as strokes, so no font is needed to render them. Each comes
 * at 1x and @2x (nativeImage picks the @2x file on high-density screens). Pure: no Electron here.
 */

/** Relative to dist/. */
export const TRAY_ART_DIR = 'main/tray';

export const TRAY_ICON = 'tray.png';
export const TRAY_ICON_UNREAD = 'tray-unread.png';

/** The taskbar overlay shows the count up to this; above it, "9+". */
export const OVERLAY_MAX = 9;

/** The overlay's file for an unread count (1 or more). */
export function overlayFile(count: number): string {
  return count > OVERLAY_MAX ? `overlay-${OVERLAY_MAX}plus.png` : `overlay-${Math.max(1, Math.floor(count))}.png`;
}

/** Strokes of the digits 1–9 and "+", in a 6 × 10 box. */
const GLYPHS: Record<string, string> = {
  '1': 'M1.5 2.5 L3.5 0.5 L3.5 10',
  '2': 'M0.6 2.6 C0.6 -0.4 5.4 -0.4 5.4 2.6 C5.4 5 0.6 7 0.6 10 L5.6 10',
  '3': 'M0.6 1.2 C2 -0.4 5.4 0 5.4 2.6 C5.4 4.2 4 5 2.6 5 C4 5 5.5 5.8 5.5 7.5 C5.5 10.2 2 10.6 0.5 8.9',
  '4': 'M4.2 10 L4.2 0.5 L0.5 7 L5.8 7',
  '5': 'M5.4 0.5 L1.1 0.5 L0.7 4.7 C2.5 3.6 5.5 4 5.5 7.1 C5.5 10.1 2 10.6 0.5 8.9',
  '6': 'M5 0.9 C2 -0.1 0.5 3 0.5 6.6 C0.5 9 1.7 10 3 10 C4.5 10 5.5 9 5.5 7.3 C5.5 5.5 4.5 4.5 3 4.5 C1.8 4.5 0.8 5.3 0.5 6.6',
  '7': 'M0.5 0.5 L5.5 0.5 L2.1 10',
  '8':
    'M3 5 C1.3 5 0.8 3.9 0.8 2.8 C0.8 1.4 1.8 0.5 3 0.5 C4.2 0.5 5.2 1.4 5.2 2.8 C5.2 3.9 4.7 5 3 5 ' +
    'C1.1 5 0.5 6.3 0.5 7.5 C0.5 9 1.6 10 3 10 C4.4 10 5.5 9 5.5 7.5 C5.5 6.3 4.9 5 3 5 Z',
  '9': 'M1 9.1 C4 10.1 5.5 7 5.5 3.4 C5.5 1 4.3 0.5 3 0.5 C1.5 0.5 0.5 1.5 0.5 2.8 C0.5 4.6 1.5 5.5 3 5.5 C4.2 5.5 5.2 4.7 5.5 3.4',
  '+': 'M3 2.5 L3 8 M0.3 5.25 L5.7 5.25',
};

/** A red disc with the count in white, on a 32-unit canvas. */
function overlaySvg(label: string): string {
  const glyphs = [...label];
  const advance = 7;
  const width = glyphs.length * advance - 1;
  // The 6 × 10 glyph box scaled to 16 units high (one digit), or to fit the disc (two).
  const scale = glyphs.length === 1 ? 1.6 : 1.45;
  const x = 16 - (width * scale) / 2;
  const y = 16 - (10 * scale) / 2;
  const strokes = glyphs.map((glyph, index) => `<path transform="translate(${index * advance} 0)" d="${GLYPHS[glyph]}"/>`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">` +
    `<circle cx="16" cy="16" r="15" fill="#dc2626" stroke="#ffffff" stroke-width="2"/>` +
    `<g transform="translate(${x.toFixed(2)} ${y.toFixed(2)}) scale(${scale})" fill="none" stroke="#ffffff" ` +
    `stroke-width="${(3.4 / scale).toFixed(2)}" stroke-linecap="round" stroke-linejoin="round">${strokes.join('')}</g></svg>`
  );
}

/** The app icon with a red dot in its top right corner (the icon's own canvas is 512 units). */
function withUnreadDot(iconSvg: string): string {
  const end = iconSvg.lastIndexOf('</svg>');
  if (end < 0) throw new Error('The app icon is not an SVG document.');
  const dot = '<circle cx="412" cy="100" r="100" fill="#dc2626" stroke="#ffffff" stroke-width="28"/>';
  return `${iconSvg.slice(0, end)}${dot}${iconSvg.slice(end)}`;
}

export interface TrayArt {
  file: string;
  svg: string;
  /** Width and height in pixels. */
  size: number;
}

/** Every picture to render, given resources/icon.svg. */
export function trayArt(iconSvg: string): TrayArt[] {
  const pictures: Array<{ name: string; svg: string }> = [
    { name: TRAY_ICON, svg: iconSvg },
    { name: TRAY_ICON_UNREAD, svg: withUnreadDot(iconSvg) },
  ];
  for (let count = 1; count <= OVERLAY_MAX + 1; count++) {
    pictures.push({ name: overlayFile(count), svg: overlaySvg(count > OVERLAY_MAX ? `${OVERLAY_MAX}+` : String(count)) });
  }
  return pictures.flatMap(({ name, svg }) => [
    { file: name, svg, size: 16 },
    { file: name.replace(/\.png$/u, '@2x.png'), svg, size: 32 },
  ]);
}
