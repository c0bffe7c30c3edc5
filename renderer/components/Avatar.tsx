import type { User } from '../../sync/protocol/frames.js';

const TONES = 8;

function tone(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) | 0;
  return Math.abs(hash) % TONES;
}

function initials(name: string): string {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0] ?? ''];
  return letters
    .map((word) => [...(word ?? '')][0] ?? '')
    .join('')
    .toUpperCase();
}

interface Props {
  size?: 'small' | 'medium';
}

/**
 * A coloured circle with the person's initials. Decorative: the name is always next to it. The
 * initials are drawn by CSS (data-initials), so they are not part of the text around it: a list
 * item or a message still begins with the name.
 */
export function Avatar({ user, size = 'medium' }: Props & { user: User }) {
  return (
    <span
      className={`avatar avatar--${size} avatar--tone${tone(user.id)}`}
      aria-hidden="true"
      data-initials={initials(user.displayName.trim() || user.username)}
    />
  );
}

/** A group's: a rounded square with the initials of its name. */
export function GroupAvatar({ id, name, size = 'medium' }: Props & { id: string; name: string }) {
  return (
    <span
      className={`avatar avatar--group avatar--${size} avatar--tone${tone(id)}`}
      aria-hidden="true"
      data-initials={initials(name)}
    />
  );
}
