import { useMemo } from 'react';
import { encode } from 'uqr';

/** Blank modules around the code, as the QR specification asks, so a camera finds its edges. */
const QUIET_ZONE = 4;

/**
 * `value` as a QR code: uqr's matrix drawn as one SVG path of unit squares (React elements, never
 * markup from a string), scaled by CSS. Named for assistive technology by `label`.
 */
export function QrCode({ value, label }: { value: string; label: string }) {
  const { size, path } = useMemo(() => qrPath(value), [value]);
  return (
    <svg className="qr-code" role="img" aria-label={label} viewBox={`0 0 ${size} ${size}`} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}

/** The code's side in modules (its quiet zone included), and its dark modules as one path. */
export function qrPath(value: string): { size: number; path: string } {
  const { data } = encode(value);
  const squares = data.flatMap((row, y) =>
    row.flatMap((dark, x) => (dark ? [`M${x + QUIET_ZONE} ${y + QUIET_ZONE}h1v1h-1z`] : [])),
  );
  return { size: data.length + QUIET_ZONE * 2, path: squares.join('') };
}
