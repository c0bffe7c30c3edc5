import { useId, useRef, useState, type DragEvent } from 'react';
import { t } from '../i18n/index.js';
import { ComposeProvider } from '../state/compose.js';
import { useActions, useApp } from '../state/context.js';
import { BlockedNotice } from './BlockedNotice.js';
import { Composer } from './Composer.js';
import { ConversationHeader } from './ConversationHeader.js';
import { FailedGroupChanges } from './FailedGroupChanges.js';
import { GroupInfoDialog } from './GroupInfoDialog.js';
import { ChatIcon } from './icons.js';
import { MessageList } from './MessageList.js';
import { PinnedBar } from './PinnedBar.js';
import { RequestBar } from './RequestBar.js';
import { TypingIndicator } from './TypingIndicator.js';

/** The right side: the open conversation, or a hint when none is open. */
export function ConversationPane() {
  const open = useApp((s) => s.open);
  const conversation = useApp((s) => (s.open ? (s.conversations.find((c) => c.id === s.open!.id) ?? null) : null));
  const notice = useApp((s) => s.notice);
  const { dismissNotice } = useActions();
  const titleId = useId();
  const [infoOpen, setInfoOpen] = useState<string | null>(null);
  const dropTargetRef = useRef<((files: File[]) => void) | null>(null);
  const [dragging, setDragging] = useState(false);

  if (!open) {
    return (
      <div className="empty empty--pane">
        <ChatIcon size={48} className="empty__icon" />
        <p className="empty__title">{t.conversation.noneSelected}</p>
        <p className="empty__hint">{t.conversation.noneSelectedHint}</p>
      </div>
    );
  }

  const isGroup = conversation?.kind === 'group';
  const isMember = conversation?.isMember ?? true;
  const showInfo = infoOpen === open.id && isGroup;
  const carriesFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files') && dropTargetRef.current !== null;
  return (
    <section
      className={`conversation${dragging ? ' conversation--drop' : ''}`}
      aria-labelledby={conversation ? titleId : undefined}
      data-drop-hint={t.attachments.dropHint}
      onDragOver={(event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(event) => {
        setDragging(false);
        if (!carriesFiles(event)) return;
        event.preventDefault();
        dropTargetRef.current?.([...event.dataTransfer.files]);
      }}
    >
      <ComposeProvider conversationId={open.id}>
        {conversation && (
          <ConversationHeader conversation={conversation} titleId={titleId} onGroupInfo={() => setInfoOpen(open.id)} />
        )}
        <PinnedBar key={open.id} conversationId={open.id} />
        {/* While the dialog is open it lists them itself (one Retry per failure on the page). */}
        {isGroup && !showInfo && <FailedGroupChanges />}
        <MessageList
          open={open}
          title={conversation?.title ?? ''}
          isGroup={isGroup}
          leftGroup={isGroup && !isMember}
          request={conversation?.request ?? false}
        />
        <TypingIndicator />
        {notice && (
          <div className="notice" role="alert">
            <span>{notice}</span>
            <button type="button" className="link-button" onClick={dismissNotice}>
              {t.app.dismiss}
            </button>
          </div>
        )}
        {conversation?.request && <RequestBar conversation={conversation} />}
        {conversation?.blocked && conversation.peer ? (
          <BlockedNotice peer={conversation.peer} />
        ) : isMember ? (
          <Composer key={open.id} conversationId={open.id} isGroup={isGroup} dropTargetRef={dropTargetRef} />
        ) : (
          <p className="composer composer--closed">{t.group.notMember}</p>
        )}
        {showInfo && <GroupInfoDialog onClose={() => setInfoOpen(null)} />}
      </ComposeProvider>
    </section>
  );
}
