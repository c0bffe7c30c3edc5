import type { User } from '../../sync/protocol/frames.js';

const TONES = 8;

function tone(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) | 0;
  return Math.abs(hash) % TONES;
}

function initials(user: User): string {
  const words = (user.displayName.trim() || user.username).split(/\s+/u).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0] ?? ''];
  return letters.map((word) => [...(word ?? '')][0] ?? '').join('').toUpperCase();
}

/** A coloured circle with the person's initials. Decorative: the name is always next to it. */
export function Avatar({ user, size = 'medium' }: { user: User; size?: 'small' | 'medium' }) {
  return (
    <span className={`avatar avatar--${size} avatar--tone${tone(user.id)}`} aria-hidden="true">
      {initials(user)}
    </span>
  );
}
