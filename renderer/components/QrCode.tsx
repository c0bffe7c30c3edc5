import { useMemo } from 'react';
import { encode } from 'uqr';

/**
 * A QR code drawn as SVG from the encoder's matrix: React elements, never markup from a string.
 * Dark modules on a light ground whatever the theme, with the quiet zone scanners need.
 */
export function QrCode({ text, label, className }: { text: string; label: string; className?: string }) {
  const { size, path } = useMemo(() => {
    const { data } = encode(text, { border: 2 });
    const cells: string[] = [];
    data.forEach((row, y) =>
      row.forEach((dark, x) => {
        if (dark) cells.push(`M${x} ${y}h1v1h-1z`);
      }),
    );
    return { size: data.length, path: cells.join('') };
  }, [text]);
  return (
    <svg
      role="img"
      aria-label={label}
      className={`qr-code${className ? ` ${className}` : ''}`}
      viewBox={`0 0 ${size} ${size}`}
      shapeRendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
