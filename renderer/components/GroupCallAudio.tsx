import { useApp } from '../state/context.js';
import { RemoteAudio } from './CallMediaElements.js';

/** The sound of everyone in the group call this device is in, whatever the screen shows (the call or its bar). */
export function GroupCallAudio() {
  const remotes = useApp((s) => s.groupCalls.joined?.remotes ?? null);
  if (!remotes) return null;
  return (
    <>
      {[...remotes].map(([key, remote]) => (
        <RemoteAudio key={key} stream={remote.stream} />
      ))}
    </>
  );
}
