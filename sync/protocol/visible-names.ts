/**
 * Names people choose (display names, group names) are shown beside everyone else's, so nothing in
 * them may be invisible: direction overrides and isolates (which make "evil.exe" read as "exe.live"),
 * zero-width spaces and word joiners (which make two names look alike), and control characters are
 * stripped as a name comes in, as Signal does. A zero-width joiner or non-joiner stays between two
 * non-ASCII characters, where emoji sequences and scripts such as Persian and the Indic ones need it.
 */

const ALWAYS_INVISIBLE =
  /[\p{Cc}\u00AD\u061C\u115F\u1160\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\uFFA0]/gu;
/** A joiner with ASCII (or nothing) on either side joins nothing a script or emoji needs. */
const STRAY_JOINER = /(?<!\P{ASCII})[\u200C\u200D]|[\u200C\u200D](?!\P{ASCII})/gu;

export function withoutInvisibleCharacters(name: string): string {
  return name.replace(ALWAYS_INVISIBLE, '').replace(STRAY_JOINER, '');
}
