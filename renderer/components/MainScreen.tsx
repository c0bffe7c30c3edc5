import { ConversationPane } from './ConversationPane.js';
import { DiskFullBanner } from './DiskFullBanner.js';
import { HistoryTransferBanner } from './HistoryTransferBanner.js';
import { RecoveryKeyReminder } from './RecoveryKeyReminder.js';
import { SettingsFullBanner } from './SettingsFullBanner.js';
import { Sidebar } from './Sidebar.js';

export function MainScreen() {
  return (
    <div className="main-screen">
      <Sidebar />
      <main className="pane">
        <DiskFullBanner />
        <SettingsFullBanner />
        <HistoryTransferBanner />
        <ConversationPane />
      </main>
      <RecoveryKeyReminder />
    </div>
  );
}
