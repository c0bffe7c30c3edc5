import { memo, useCallback, useMemo, useRef, useState, type MouseEvent } from 'react';
import type { MessageView } from '../../sync/app-api/contract.js';
import { previewBelongsTo } from '../format/links.js';
import { formatFull, formatTime } from '../format/time.js';
import { t } from '../i18n/index.js';
import { useLanguage } from '../i18n/use-language.js';
import { useComposeActions } from '../state/compose.js';
import { mayPin } from '../../sync/protocol/rules.js';
import { useActions, useApp } from '../state/context.js';
import { describeRefusal } from '../state/errors.js';
import { DeleteDialog } from './DeleteDialog.js';
import { DisappearingTimerIcon } from './DisappearingTimerIcon.js';
import { EditHistoryDialog } from './EditHistoryDialog.js';
import { FailedChanges } from './FailedChanges.js';
import { ForwardDialog } from './ForwardDialog.js';
import { ForwardIcon } from './icons.js';
import { LinkPreviewCard } from './LinkPreviewCard.js';
import { MessageActions, type MessageActionSet } from './MessageActions.js';
import { MessageMenu, type MenuChoice } from './MessageMenu.js';
import { MessageAttachments } from './MessageAttachments.js';
import { MessageInfoDialog } from './MessageInfoDialog.js';
import { MessageStatusIcon } from './MessageStatusIcon.js';
import { MessageText } from './MessageText.js';
import { PollBody } from './PollBody.js';
import { LocationBody } from './LocationBody.js';
import { StickerBody } from './StickerBody.js';
import { QuoteBlock } from './QuoteBlock.js';
import { ReactionBar } from './ReactionBar.js';
import { ReactionPicker } from './ReactionPicker.js';

interface Props {
  message: MessageView;
  /** First of a run of messages from the same sender (a little more space above). */
  groupStart: boolean;
  /** The message jumped to (from a search result or a quote): marked current and highlighted. */
  current: boolean;
  /**
   * In a group, messages from others carry the sender's name: shown at the start of a run from
   * one person, visually hidden (still read out, still in the text) on the rest. 'none' elsewhere.
   */
  sender: 'shown' | 'hidden' | 'none';
  /** The reader's username: "@username" in others' messages is highlighted. */
  mentionOf: string | null;
  /** In a group the reader has left or was removed from (refusals are worded for that). */
  leftGroup: boolean;
  /**
   * From someone whose message request is not accepted: no picture of theirs is decoded (files
   * show as files, link previews without their image) until "Accept".
   */
  withholdPictures?: boolean;
}

/**
 * What can be done with a message. Tombstones and messages the server refused offer nothing; only
 * what the server holds can be forwarded, and not from a group you have left; a poll's question is
 * not edited (its votes answer it as asked).
 */
export function availableActions(
  message: MessageView,
  context: { leftGroup?: boolean; mayPin?: boolean } = {},
): MessageActionSet {
  const usable = !message.deleted && message.status !== 'failed';
  return {
    reply: usable,
    react: usable,
    forward: usable && message.seq !== null && !context.leftGroup,
    edit: usable && message.own && message.poll === null && message.location === null && message.sticker === null,
    delete: usable && message.own,
    info: usable && message.own,
    pin: usable && context.mayPin === true && !context.leftGroup,
  };
}

type Panel =
  | { kind: 'picker'; from: 'button' | { x: number; y: number } }
  | { kind: 'menu'; at: { x: number; y: number } }
  | { kind: 'delete' }
  | { kind: 'history' }
  | { kind: 'info' }
  | { kind: 'forward' };

/**
 * One message: optional quote, attachments, the text (always a plain React text child: never parsed as HTML),
 * a poll, or the tombstone, its disappearing timer, time and status, reactions, refused changes; actions
 * on hover or focus.
 */
export const MessageBubble = memo(function MessageBubble({
  message,
  groupStart,
  current,
  sender,
  mentionOf,
  leftGroup,
  withholdPictures = false,
}: Props) {
  useLanguage(); // memo() keeps equal props from re-rendering: this re-renders it when the language changes
  const { retry, discard, setReaction, deleteMessage, retryChange, discardChange, pinMessage } = useActions();
  const canPin = useApp((s) => {
    const info = s.info?.conversationId === message.conversationId ? s.info.view : null;
    return info !== null && info.isMember && info.role !== null && mayPin(info.kind, info.role);
  });
  const { startReply, startEdit } = useComposeActions();
  const [chosenPanel, setPanel] = useState<Panel | null>(null);
  const articleRef = useRef<HTMLElement>(null);
  const reactButtonRef = useRef<HTMLButtonElement>(null);

  const failed = message.own && message.status === 'failed';
  const actions = availableActions(message, { leftGroup, mayPin: canPin });
  const hasActions = Object.values(actions).some(Boolean);
  // A message deleted (or refused) meanwhile closes its picker, menu and delete dialog.
  const panel = chosenPanel && (hasActions || chosenPanel.kind === 'history' || chosenPanel.kind === 'info') ? chosenPanel : null;
  const mine = useMemo(() => new Set(message.reactions.filter((r) => r.mine).map((r) => r.emoji)), [message.reactions]);

  const classes = ['message', message.own ? 'message--own' : 'message--theirs'];
  if (groupStart) classes.push('message--group-start');
  if (failed) classes.push('message--failed');
  if (message.deleted) classes.push('message--deleted');
  // A sticker shows large, without a bubble.
  const sticker = message.deleted ? null : message.sticker;
  if (sticker) classes.push('message--sticker');
  if (current) classes.push('message--highlight');
  if (panel?.kind === 'picker' || panel?.kind === 'menu') classes.push('message--active');

  const article = useCallback(() => articleRef.current, []);
  const focusArticle = () => articleRef.current?.focus({ preventScroll: true });
  const reactOpener = useCallback(() => reactButtonRef.current, []);
  const pickerFrom = panel?.kind === 'picker' ? panel.from : null;
  const pickerAnchor = useCallback((): DOMRect | null => {
    if (pickerFrom === 'button' || pickerFrom === null) return reactButtonRef.current?.getBoundingClientRect() ?? null;
    return new DOMRect(pickerFrom.x, pickerFrom.y, 0, 0);
  }, [pickerFrom]);

  const choose = (choice: MenuChoice, at?: { x: number; y: number }) => {
    switch (choice) {
      case 'reply':
        setPanel(null);
        startReply(message);
        break;
      case 'react':
        setPanel({ kind: 'picker', from: at ?? 'button' });
        break;
      case 'edit':
        setPanel(null);
        startEdit(message);
        break;
      case 'delete':
        setPanel({ kind: 'delete' });
        break;
      case 'info':
        setPanel({ kind: 'info' });
        break;
      case 'forward':
        setPanel({ kind: 'forward' });
        break;
      case 'pin':
        setPanel(null);
        void pinMessage(message.id, !message.pinned);
        break;
    }
  };

  const onContextMenu = (event: MouseEvent<HTMLElement>) => {
    // Events from its picker, menu and dialogs (portals) bubble here too: only the message counts.
    if (!hasActions || !articleRef.current?.contains(event.target as Node)) return;
    // Right-clicking selected text or a link keeps the browser's own menu.
    if (window.getSelection()?.toString()) return;
    event.preventDefault();
    let { clientX: x, clientY: y } = event;
    if (x === 0 && y === 0) {
      // Opened from the keyboard (menu key, Shift+F10): place it at the message.
      const rect = articleRef.current?.querySelector('.message__bubble')?.getBoundingClientRect();
      if (rect) ({ x, y } = { x: rect.left + 12, y: rect.bottom });
    }
    setPanel({ kind: 'menu', at: { x, y } });
  };

  return (
    <article
      ref={articleRef}
      className={classes.join(' ')}
      data-message-id={message.id}
      aria-current={current ? 'true' : undefined}
      tabIndex={0}
      onContextMenu={onContextMenu}
    >
      <div className="message__row">
        <div className="message__bubble">
          {sender !== 'none' && (
            <span className={sender === 'shown' ? 'message__sender' : 'visually-hidden'}>{message.senderName}</span>
          )}
          {message.forwardedFrom !== null && !message.deleted && (
            <span className="message__forwarded">
              <ForwardIcon size={12} />
              {t.forward.from(message.forwardedFrom)}
            </span>
          )}
          {message.replyTo && !message.deleted && <QuoteBlock quote={message.replyTo} />}
          {/* A location's one image is its map, shown in its card (unless pictures are withheld); a sticker's files are the sticker. */}
          {!message.deleted && !sticker && message.attachments.length > 0 && (!message.location || withholdPictures) && (
            <MessageAttachments message={message} asFiles={withholdPictures} />
          )}
          {message.deleted ? (
            <p className="message__text message__text--deleted">{t.message.deleted}</p>
          ) : message.poll ? (
            <PollBody message={message} poll={message.poll} closed={leftGroup || failed} returnFocusTo={article} />
          ) : message.location ? (
            <LocationBody
              message={message}
              location={message.location}
              snapshot={withholdPictures ? null : (message.attachments[0] ?? null)}
            />
          ) : sticker ? (
            <StickerBody message={message} sticker={sticker} />
          ) : (
            // With attachments the text is an optional caption.
            (message.text !== '' || message.attachments.length === 0) && (
              <p className="message__text">
                <MessageText text={message.text} mentionOf={message.own ? null : mentionOf} />
              </p>
            )
          )}
          {message.linkPreview && !message.deleted && previewBelongsTo(message.linkPreview.url, message.text) && (
            <LinkPreviewCard preview={message.linkPreview} withImage={!withholdPictures} />
          )}
          <span className="message__meta">
            {message.edited && !message.deleted && (
              <button
                type="button"
                className="message__edited"
                title={t.message.editedHint}
                onClick={() => setPanel({ kind: 'history' })}
              >
                {t.message.edited}
              </button>
            )}
            {message.expiresInMs !== null && <DisappearingTimerIcon message={message} />}
            <time dateTime={new Date(message.at).toISOString()} title={formatFull(message.at)}>
              {formatTime(message.at)}
            </time>
            {message.own && message.status && !message.deleted && <MessageStatusIcon status={message.status} />}
          </span>
        </div>
        {hasActions && (
          <MessageActions
            actions={actions}
            pickerOpen={panel?.kind === 'picker'}
            pinned={message.pinned}
            reactButtonRef={reactButtonRef}
            onReply={() => choose('reply')}
            onReact={() => setPanel(panel?.kind === 'picker' ? null : { kind: 'picker', from: 'button' })}
            onForward={() => choose('forward')}
            onEdit={() => choose('edit')}
            onDelete={() => choose('delete')}
            onInfo={() => choose('info')}
            onPin={() => choose('pin')}
          />
        )}
      </div>
      {!message.deleted && (
        <ReactionBar reactions={message.reactions} onToggle={(emoji, on) => void setReaction(message.id, emoji, on)} />
      )}
      <FailedChanges
        changes={message.failedChanges}
        onRetry={(changeId) => void retryChange(message.id, changeId)}
        onDismiss={(changeId) => void discardChange(message.id, changeId)}
      />
      {failed && (
        <div className="message__failure">
          <span className="message__error">
            {message.error ? describeRefusal(message.error, { leftGroup }) : t.message.failedFallback}
          </span>
          <span className="message__actions">
            <button type="button" className="link-button" onClick={() => void retry(message.id)}>
              {t.message.retry}
            </button>
            <button type="button" className="link-button link-button--danger" onClick={() => void discard(message.id)}>
              {t.message.discard}
            </button>
          </span>
        </div>
      )}
      {panel?.kind === 'menu' && (
        <MessageMenu
          at={panel.at}
          actions={actions}
          pinned={message.pinned}
          onChoose={(choice) => choose(choice, panel.at)}
          onClose={(restoreFocus) => {
            setPanel(null);
            if (restoreFocus) focusArticle();
          }}
        />
      )}
      {panel?.kind === 'picker' && (
        <ReactionPicker
          anchor={pickerAnchor}
          opener={reactOpener}
          mine={mine}
          onPick={(emoji) => {
            setPanel(null);
            (reactButtonRef.current ?? articleRef.current)?.focus({ preventScroll: true });
            void setReaction(message.id, emoji, !mine.has(emoji));
          }}
          onClose={(restoreFocus) => {
            setPanel(null);
            if (restoreFocus) (reactButtonRef.current ?? articleRef.current)?.focus({ preventScroll: true });
          }}
        />
      )}
      {panel?.kind === 'delete' && (
        <DeleteDialog
          unsent={message.seq === null}
          returnFocusTo={article}
          onClose={() => setPanel(null)}
          onConfirm={() => {
            setPanel(null);
            void deleteMessage(message.id);
          }}
        />
      )}
      {panel?.kind === 'info' && (
        <MessageInfoDialog
          messageId={message.id}
          status={message.status}
          returnFocusTo={article}
          onClose={() => setPanel(null)}
        />
      )}
      {panel?.kind === 'forward' && (
        <ForwardDialog
          conversationId={message.conversationId}
          messageId={message.id}
          returnFocusTo={article}
          onClose={() => setPanel(null)}
        />
      )}
      {panel?.kind === 'history' && (
        <EditHistoryDialog
          messageId={message.id}
          currentText={message.text}
          returnFocusTo={article}
          onClose={() => setPanel(null)}
        />
      )}
    </article>
  );
});
