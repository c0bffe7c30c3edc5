/** A QR code as one SVG path: what QrCode draws, from uqr's matrix. */
import { encode } from 'uqr';

/** Blank modules around the code, as the QR specification asks, so a camera finds its edges. */
const QUIET_ZONE = 4;

/** The code's side in modules (its quiet zone included), and its dark modules as one path of unit squares. */
export function qrPath(value: string): { size: number; path: string } {
  const { data } = encode(value);
  const squares = data.flatMap((row, y) =>
    row.flatMap((dark, x) => (dark ? [`M${x + QUIET_ZONE} ${y + QUIET_ZONE}h1v1h-1z`] : [])),
  );
  return { size: data.length + QUIET_ZONE * 2, path: squares.join('') };
}
