import { useMemo } from 'react';
import { qrPath } from '../format/qr-path.js';

/**
 * `value` as a QR code: uqr's matrix drawn as one SVG path of unit squares (React elements, never
 * markup from a string), scaled by CSS. Named for assistive technology by `label`.
 */
export function QrCode({ value, label, className }: { value: string; label: string; className?: string }) {
  const { size, path } = useMemo(() => qrPath(value), [value]);
  return (
    <svg
      className={`qr-code${className ? ` ${className}` : ''}`}
      role="img"
      aria-label={label}
      viewBox={`0 0 ${size} ${size}`}
      shapeRendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
