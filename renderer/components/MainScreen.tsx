import { ConversationPane } from './ConversationPane.js';
import { Sidebar } from './Sidebar.js';

export function MainScreen() {
  return (
    <div className="main-screen">
      <Sidebar />
      <main className="pane">
        <ConversationPane />
      </main>
    </div>
  );
}
