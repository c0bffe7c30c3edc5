/**
 * Where a call's sound plays: the speaker chosen in Settings → Calls, through HTMLMediaElement's
 * setSinkId, which not every browser has (there the system's default plays it, and no choice shows).
 */

export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/** Plays `audio` through `speakerId` (null: the system default); a speaker that is gone leaves the default. */
export async function routeToSpeaker(audio: HTMLMediaElement, speakerId: string | null): Promise<void> {
  if (!canChooseSpeaker() || audio.sinkId === (speakerId ?? '')) return;
  try {
    await audio.setSinkId(speakerId ?? '');
  } catch (error) {
    console.warn('call sound stays on the default speaker', error);
    if (audio.sinkId !== '') await audio.setSinkId('').catch(() => {});
  }
}
