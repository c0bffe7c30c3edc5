import { useApp } from '../state/context.js';
import { CallBar } from './CallBar.js';
import { RemoteAudio } from './CallMediaElements.js';
import { CallRegion } from './CallRegion.js';
import { GroupCallAudio } from './GroupCallAudio.js';
import { GroupCallBar } from './GroupCallBar.js';
import { GroupCallRegion } from './GroupCallRegion.js';
import { ConversationPane } from './ConversationPane.js';
import { DiskFullBanner } from './DiskFullBanner.js';
import { HistoryTransferBanner } from './HistoryTransferBanner.js';
import { IncomingCallDialog } from './IncomingCallDialog.js';
import { RecoveryKeyReminder } from './RecoveryKeyReminder.js';
import { SettingsFullBanner } from './SettingsFullBanner.js';
import { Sidebar } from './Sidebar.js';

export function MainScreen() {
  const oneToOneShown = useApp((s) => s.call !== null && s.call.expanded && s.call.view.phase !== 'ringing');
  const groupCallShown = useApp((s) => s.groupCalls.joined?.expanded ?? false);
  const remoteMedia = useApp((s) => (s.call?.view.phase === 'ended' ? null : (s.call?.remote?.stream ?? null)));
  const callShown = oneToOneShown || groupCallShown;
  return (
    <div className="main-screen">
      <Sidebar />
      <main className="pane">
        <DiskFullBanner />
        <SettingsFullBanner />
        <HistoryTransferBanner />
        {oneToOneShown && <CallRegion />}
        {groupCallShown && <GroupCallRegion />}
        {/* Hidden, not unmounted, under the call: what was typed and where the list was stay. */}
        <div className="pane__conversation" hidden={callShown}>
          <CallBar />
          <GroupCallBar />
          <ConversationPane />
        </div>
      </main>
      <IncomingCallDialog />
      {remoteMedia && <RemoteAudio stream={remoteMedia} />}
      <GroupCallAudio />
      <RecoveryKeyReminder />
    </div>
  );
}
