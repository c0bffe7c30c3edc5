/** Icons for calls (decorative, like icons.tsx: the button around them carries the name). */
import { Svg, type IconProps } from './icons.js';

export function PhoneIcon(props: IconProps) {
  return (
    <Svg {...props}>
      <path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2" />
    </Svg>
  );
}

export function HangUpIcon(props: IconProps) {
  return (
    <Svg {...props}>
      <path d="M3 14.5c5-4.7 13-4.7 18 0l-2.2 2.7-3.5-1.5v-2.6a11 11 0 0 0-6.6 0v2.6l-3.5 1.5z" />
    </Svg>
  );
}

export function VideoIcon(props: IconProps) {
  return (
    <Svg {...props}>
      <rect x="3" y="6" width="13" height="12" rx="2" />
      <path d="M16 10l5-3v10l-5-3z" />
    </Svg>
  );
}

export function VideoOffIcon(props: IconProps) {
  return (
    <Svg {...props}>
      <path d="M10 6h4a2 2 0 0 1 2 2v2l5-3v10l-2-1.2" />
      <path d="M16 16a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2" />
      <path d="M3 3l18 18" />
    </Svg>
  );
}

export function MicOffIcon(props: IconProps) {
  return (
    <Svg {...props}>
      <path d="M9 9v2a3 3 0 0 0 5 2.2M15 10V6a3 3 0 0 0-5.7-1.3" />
      <path d="M5 11a7 7 0 0 0 11.5 5.4M19 11a7 7 0 0 1-.6 2.8M12 18v3" />
      <path d="M3 3l18 18" />
    </Svg>
  );
}

export function ScreenShareIcon(props: IconProps) {
  return (
    <Svg {...props}>
      <rect x="3" y="4" width="18" height="13" rx="2" />
      <path d="M8 21h8M12 17v4M12 13V8M9.5 10.5L12 8l2.5 2.5" />
    </Svg>
  );
}
