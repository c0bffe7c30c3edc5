/** Icons of the emoji picker's buttons (decorative, like icons.tsx). */
import { Svg, type IconProps } from './icons.js';

export function PlusIcon(props: IconProps) {
  return (
    <Svg {...props}>
      <path d="M12 5v14M5 12h14" />
    </Svg>
  );
}
