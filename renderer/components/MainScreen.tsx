import { useApp } from '../state/context.js';
import { CallBar } from './CallBar.js';
import { RemoteAudio } from './CallMediaElements.js';
import { CallRegion } from './CallRegion.js';
import { ConversationPane } from './ConversationPane.js';
import { DiskFullBanner } from './DiskFullBanner.js';
import { HistoryTransferBanner } from './HistoryTransferBanner.js';
import { IncomingCallDialog } from './IncomingCallDialog.js';
import { RecoveryKeyReminder } from './RecoveryKeyReminder.js';
import { SettingsFullBanner } from './SettingsFullBanner.js';
import { Sidebar } from './Sidebar.js';

export function MainScreen() {
  const callShown = useApp((s) => s.call !== null && s.call.expanded && s.call.view.phase !== 'ringing');
  const remoteMedia = useApp((s) => (s.call?.view.phase === 'ended' ? null : (s.call?.remote ?? null)));
  return (
    <div className="main-screen">
      <Sidebar />
      <main className="pane">
        <DiskFullBanner />
        <SettingsFullBanner />
        <HistoryTransferBanner />
        {callShown && <CallRegion />}
        {/* Hidden, not unmounted, under the call: what was typed and where the list was stay. */}
        <div className="pane__conversation" hidden={callShown}>
          <CallBar />
          <ConversationPane />
        </div>
      </main>
      <IncomingCallDialog />
      {remoteMedia && <RemoteAudio stream={remoteMedia} />}
      <RecoveryKeyReminder />
    </div>
  );
}
