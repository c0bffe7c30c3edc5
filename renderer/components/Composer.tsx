import {
  useEffect,
  useEffectEvent,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type ClipboardEvent,
  type FormEvent,
  type KeyboardEvent,
  type MutableRefObject,
} from 'react';
import type { MemberView } from '../../sync/app-api/contract.js';
import type { GifResultView } from '../../sync/app-api/gifs-api.js';
import { wholeDraftIn } from '../../sync/app-api/draft-preview.js';
import type { User } from '../../sync/protocol/frames.js';
import { LIMITS } from '../../sync/protocol/limits.js';
import { useAttachmentDraft } from '../hooks/useAttachmentDraft.js';
import { useDraft } from '../hooks/useDraft.js';
import { useLinkPreview } from '../hooks/useLinkPreview.js';
import { t } from '../i18n/index.js';
import { describeProblem, prepareVoice } from '../state/attachment-draft.js';
import { useComposeActions, useComposeTarget } from '../state/compose.js';
import { useActions, useApp, useAppOnMount } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { insertMention, mentionAt, mentionCandidates, type MentionQuery } from '../state/mentions.js';
import { FileImportError, importFile } from '../transport/files.js';
import { AttachMenu } from './AttachMenu.js';
import { AttachmentDraftList } from './AttachmentDraftList.js';
import { ComposerLinkPreview } from './ComposerLinkPreview.js';
import { ComposerEmojiButton } from './ComposerEmojiButton.js';
import { EditBar } from './EditBar.js';
import { useIdentityChangeGuard } from './IdentityChangeGuard.js';
import { CheckIcon, PaperclipIcon, SendIcon } from './icons.js';
import { MentionList } from './MentionList.js';
import { ReplyPreview } from './ReplyPreview.js';
import { VoiceRecorder } from './VoiceRecorder.js';

/** Show the counter once this few characters remain. */
const COUNTER_FROM = 500;
/** The textarea grows up to this height, then scrolls. */
const MAX_HEIGHT_PX = 168;

const NO_MEMBERS: readonly MemberView[] = [];

/**
 * Enter sends, Shift+Enter inserts a newline. The box clears at once and the message appears in
 * the list straight away (the core answers with it). Keyed by conversation by its parent.
 *
 * Replying: the reply bar shows above, the next message answers it, Escape drops it.
 * Editing: the message's text replaces the draft (which comes back afterwards), Enter saves,
 * Escape cancels. While the person types a new message the peer is told, at most every few seconds.
 *
 * Attaching: "Attach", files dropped on the conversation (`dropTargetRef`) or an image pasted into the
 * box are copied into the profile at once and listed above the box; the text becomes their
 * caption. A voice message is recorded and sent on its own; "Attach menu" offers files and polls.
 */
export function Composer({
  conversationId,
  isGroup = false,
  dropTargetRef,
}: {
  conversationId: string;
  isGroup?: boolean;
  /** The conversation pane hands dropped files to this composer through it. */
  dropTargetRef?: MutableRefObject<((files: File[]) => void) | null>;
}) {
  const { send, sendGif: sendGifMessage, sendSticker: sendStickerMessage, editMessage, setTyping } = useActions();
  const { replyTo, editing } = useComposeTarget();
  const { cancelReply, cancelEdit, startReply } = useComposeActions();
  // The draft is in the box when the box appears: the list's preview is all of it for any short draft.
  const listedDraft = useAppOnMount((s) => wholeDraftIn(s.conversations.find((c) => c.id === conversationId)?.draft ?? null));
  const [text, setTextState] = useState(listedDraft ?? '');
  const [error, setError] = useState<string | null>(null);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const hintId = useId();
  const lastTypingAt = useRef(0);
  /** The draft put aside while editing, restored when the edit ends. */
  const draftBeforeEdit = useRef<string | null>(null);
  const editingId = editing?.id ?? null;
  const shownEditId = useRef<string | null>(null);
  const listboxId = useId();
  const optionId = (index: number) => `${listboxId}-${index}`;
  const draft = useAttachmentDraft();
  const { add: addFiles } = draft;
  const fileInputRef = useRef<HTMLInputElement>(null);
  const [recording, setRecording] = useState(false);

  useEffect(() => {
    if (!dropTargetRef) return;
    dropTargetRef.current = addFiles;
    return () => {
      dropTargetRef.current = null;
    };
  }, [dropTargetRef, addFiles]);

  // In a group, "@" offers the other members.
  const members = useApp((s) => (isGroup && s.info?.conversationId === conversationId ? s.info.view.members : NO_MEMBERS));
  const others = useMemo(() => members.filter((member) => !member.you).map((member) => member.user), [members]);
  const [mention, setMention] = useState<MentionQuery | null>(null);
  const [activeOption, setActiveOption] = useState(0);
  const candidates = useMemo(() => (mention ? mentionCandidates(others, mention.query) : []), [mention, others]);
  const suggesting = candidates.length > 0;
  const active = Math.min(activeOption, Math.max(candidates.length - 1, 0));

  const updateMention = (value: string, caret: number | null) => {
    const next = isGroup && caret !== null ? mentionAt(value, caret) : null;
    setMention((current) => (current?.start === next?.start && current?.query === next?.query ? current : next));
    if (next?.query !== mention?.query) setActiveOption(0);
  };

  // The caret goes after an inserted mention in the same commit as the new text: placed any later
  // (a frame later, say), keys typed meanwhile would land before it.
  const pendingCaret = useRef<number | null>(null);
  const pickMention = (user: User) => {
    const textarea = textareaRef.current;
    if (!textarea || !mention) return;
    const result = insertMention(textarea.value, mention, textarea.selectionStart, user);
    setText(result.text);
    setMention(null);
    pendingCaret.current = result.caret;
  };

  useLayoutEffect(() => {
    const caret = pendingCaret.current;
    const textarea = textareaRef.current;
    if (caret === null || !textarea) return;
    pendingCaret.current = null;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
  });

  const setText = setTextState;
  // The draft (text and reply target) is kept by the core: loaded now, saved as the person types.
  const savedDraft = useDraft({
    conversationId,
    prefilled: listedDraft !== null,
    text,
    replyId: replyTo?.id ?? null,
    editing: editingId !== null,
    setText: setTextState,
    startReply,
    cancelReply,
  });
  const linkPreview = useLinkPreview(text, editingId === null);

  const focusAtEnd = () => {
    const textarea = textareaRef.current;
    if (!textarea) return;
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  };

  // Entering, switching or leaving edit mode swaps the box's text.
  useLayoutEffect(() => {
    const previous = shownEditId.current;
    if (previous === editingId) return;
    shownEditId.current = editingId;
    /* eslint-disable react-hooks/set-state-in-effect -- the box's text follows the edit mode chosen elsewhere (a message row), before paint */
    setError(null);
    if (editing) {
      if (previous === null) draftBeforeEdit.current = text;
      setTextState(editing.text);
    } else {
      setTextState(draftBeforeEdit.current ?? '');
      draftBeforeEdit.current = null;
    }
    /* eslint-enable react-hooks/set-state-in-effect */
  }, [editingId, editing, text]);

  // Choosing Reply or Edit on a message puts the cursor here.
  const replyId = replyTo?.id ?? null;
  useEffect(() => {
    if (editingId || replyId) focusAtEnd();
  }, [editingId, replyId]);

  // A message deleted while being edited (say, from another device) ends the edit.
  const editedGone = editing?.deleted === true;
  useEffect(() => {
    if (editedGone) cancelEdit();
  }, [editedGone, cancelEdit]);

  const trimmed = text.trim();
  const over = trimmed.length - LIMITS.maxMessageChars;
  const remaining = LIMITS.maxMessageChars - trimmed.length;
  const attaching = !editing && draft.items.length > 0;
  const canSend = (trimmed.length > 0 || attaching) && over <= 0 && !(attaching && draft.preparing);
  // Send pressed while files are still being prepared: the message goes as soon as they are ready.
  const [sendWhenReady, setSendWhenReady] = useState(false);
  const waitsForFiles = attaching && draft.preparing && over <= 0;

  useLayoutEffect(() => {
    const textarea = textareaRef.current;
    if (!textarea) return;
    textarea.style.height = 'auto';
    textarea.style.height = `${Math.min(textarea.scrollHeight, MAX_HEIGHT_PX)}px`;
  }, [text]);

  // Asks before a send when a verified member's safety number changed.
  const identityGuard = useIdentityChangeGuard(conversationId, (reason) => setError(t.composer.sendFailed(reason)));

  const saveEdit = () => {
    if (!editing) return;
    const message = editing;
    cancelEdit();
    if (trimmed === message.text.trim()) return;
    editMessage(message.id, trimmed).catch((failure: unknown) => setError(t.edit.failed(describeError(failure))));
  };

  const submit = () => {
    if (!editing && waitsForFiles) {
      setSendWhenReady(true);
      return;
    }
    if (!canSend) return;
    if (editing) {
      saveEdit();
      return;
    }
    identityGuard.beforeSend(sendNow);
  };

  const sendNow = () => {
    const reply = replyTo;
    const attachments = draft.ready() ?? undefined;
    const attachedItems = draft.items;
    // A preview not ready yet is not waited for: the message goes without one.
    const preview = linkPreview.preview ?? undefined;
    savedDraft.sent();
    setText('');
    setMention(null);
    setError(null);
    cancelReply();
    draft.clear();
    lastTypingAt.current = 0;
    textareaRef.current?.focus();
    send(trimmed, reply?.id, attachments, preview).catch((failure: unknown) => {
      // Give the text, files and reply back rather than lose them, unless something new was typed meanwhile.
      setTextState((current) => {
        if (current) return current;
        if (reply) startReply(reply);
        return trimmed;
      });
      draft.restore(attachedItems);
      setError(t.composer.sendFailed(describeError(failure)));
    });
  };

  // Files that could not be prepared are the person's to look at first: then nothing goes by itself.
  const sendNowReady = useEffectEvent(() => {
    if (draft.problems.length === 0) submit();
  });
  const filesPreparing = draft.preparing;
  useEffect(() => {
    if (!sendWhenReady || filesPreparing) return;
    /* eslint-disable-next-line react-hooks/set-state-in-effect -- the wait ends when the files are ready */
    setSendWhenReady(false);
    sendNowReady();
  }, [sendWhenReady, filesPreparing]);

  const sendVoice = (recorded: { blob: Blob; durationMs: number }) => identityGuard.beforeSend(() => sendVoiceNow(recorded));

  const sendVoiceNow = (recorded: { blob: Blob; durationMs: number }) => {
    const reply = replyTo;
    cancelReply();
    prepareVoice(recorded.blob, recorded.durationMs, { importFile: (blob) => importFile(blob) })
      .then((voice) => send('', reply?.id, [voice]))
      .catch((failure: unknown) => {
        const reason =
          failure instanceof FileImportError
            ? describeProblem({ kind: 'import_failed', name: t.voice.fileName, code: failure.code })
            : describeError(failure);
        setError(t.composer.sendFailed(reason));
      });
  };

  const sendGif = (gif: GifResultView) => identityGuard.beforeSend(() => sendGifNow(gif));

  /** A GIF goes at once, as its own message answering the reply being written; the text typed stays. */
  const sendGifNow = (gif: GifResultView) => {
    const reply = replyTo;
    cancelReply();
    sendGifMessage(gif, reply?.id).catch((failure: unknown) => {
      if (reply) startReply(reply);
      setError(t.composer.sendFailed(describeError(failure)));
    });
  };

  /** A sticker goes at once, as its own message; the text typed stays. */
  const sendSticker = (packId: string, stickerId: string) =>
    identityGuard.beforeSend(() => {
      sendStickerMessage(packId, stickerId).catch((failure: unknown) => setError(t.composer.sendFailed(describeError(failure))));
    });

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = [...event.clipboardData.files];
    if (files.length === 0 || editing) return;
    event.preventDefault();
    addFiles(files);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (suggesting && !event.nativeEvent.isComposing) {
      switch (event.key) {
        case 'ArrowDown':
          event.preventDefault();
          setActiveOption((active + 1) % candidates.length);
          return;
        case 'ArrowUp':
          event.preventDefault();
          setActiveOption((active - 1 + candidates.length) % candidates.length);
          return;
        case 'Enter':
        case 'Tab':
          if (event.shiftKey) break;
          event.preventDefault();
          pickMention(candidates[active]!);
          return;
        case 'Escape':
          event.preventDefault();
          setMention(null);
          return;
      }
    }
    if (event.key === 'Escape' && !event.nativeEvent.isComposing && (editing || replyTo)) {
      event.preventDefault();
      if (editing) cancelEdit();
      else cancelReply();
      return;
    }
    if (event.key !== 'Enter' || event.shiftKey || event.altKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    submit();
  };

  const onChange = (value: string, caret: number | null) => {
    setText(value);
    updateMention(value, caret);
    if (error) setError(null);
    if (editingId || !value.trim()) return;
    const now = Date.now();
    if (now - lastTypingAt.current >= LIMITS.typingRepeatMs) {
      lastTypingAt.current = now;
      setTyping();
    }
  };

  const sendLabel = editing ? t.edit.save : t.composer.send;
  const hint = editing ? t.composer.hintEditing : replyTo ? t.composer.hintReplying : t.composer.hint;

  return (
    <form className="composer" onSubmit={onSubmit} noValidate>
      {editing ? (
        <EditBar
          message={editing}
          onCancel={() => {
            cancelEdit();
            textareaRef.current?.focus();
          }}
        />
      ) : (
        replyTo && (
          <ReplyPreview
            message={replyTo}
            onCancel={() => {
              cancelReply();
              textareaRef.current?.focus();
            }}
          />
        )
      )}
      {(error || over > 0) && (
        <p className="composer__error" role="alert">
          {over > 0 ? t.composer.tooLong(over, LIMITS.maxMessageChars) : error}
        </p>
      )}
      {draft.problems.length > 0 && (
        <p className="composer__error" role="alert">
          {draft.problems.map(describeProblem).join(' ')}
        </p>
      )}
      {!editing && <AttachmentDraftList items={draft.items} onRemove={draft.remove} />}
      {sendWhenReady && (
        <p className="composer__counter" role="status">
          {t.composer.sendsWhenReady}
        </p>
      )}
      {!editing && linkPreview.preview && (
        <ComposerLinkPreview
          preview={linkPreview.preview}
          onRemove={() => {
            linkPreview.remove();
            textareaRef.current?.focus();
          }}
        />
      )}
      {over <= 0 && remaining <= COUNTER_FROM && (
        <p className="composer__counter">{t.composer.charsLeft(Math.max(remaining, 0))}</p>
      )}
      {suggesting && <MentionList id={listboxId} optionId={optionId} people={candidates} active={active} onPick={pickMention} />}
      <div className="composer__row">
        {!recording && !editing && (
          <>
            <button
              type="button"
              className="icon-button composer__tool"
              aria-label={t.attachments.attach}
              title={t.attachments.attach}
              onClick={() => fileInputRef.current?.click()}
            >
              <PaperclipIcon size={20} />
            </button>
            <input
              ref={fileInputRef}
              type="file"
              multiple
              hidden
              tabIndex={-1}
              onChange={(event) => {
                addFiles([...(event.target.files ?? [])]);
                // The same file may be chosen again later.
                event.target.value = '';
              }}
            />
            <AttachMenu conversationId={conversationId} onChooseFile={() => fileInputRef.current?.click()} />
          </>
        )}
        {!recording && (
          <textarea
            ref={textareaRef}
            className="composer__input"
            aria-label={t.composer.label}
            aria-describedby={hintId}
            aria-invalid={over > 0 ? true : undefined}
            placeholder={t.composer.placeholder}
            rows={1}
            value={text}
            onChange={(event) => onChange(event.target.value, event.target.selectionStart)}
            onKeyDown={onKeyDown}
            onSelect={(event) => updateMention(event.currentTarget.value, event.currentTarget.selectionStart)}
            onBlur={() => setMention(null)}
            aria-autocomplete={isGroup ? 'list' : undefined}
            aria-controls={suggesting ? listboxId : undefined}
            aria-activedescendant={suggesting ? optionId(active) : undefined}
            onPaste={onPaste}
            autoFocus
          />
        )}
        {!recording && (
          <ComposerEmojiButton
            textareaRef={textareaRef}
            onInsert={(value, caret) => {
              onChange(value, caret);
              pendingCaret.current = caret;
            }}
            // While a message is being edited, only emoji: a GIF or a sticker is a message of its own.
            {...(editing ? {} : { onPickGif: sendGif, onPickSticker: sendSticker })}
          />
        )}
        {!editing && <VoiceRecorder onRecorded={sendVoice} onError={setError} onRecordingChange={setRecording} />}
        {!recording && (
          <button
            type="submit"
            className="composer__send"
            aria-label={sendLabel}
            title={sendLabel}
            disabled={!canSend && !waitsForFiles}
          >
            {editing ? <CheckIcon size={20} /> : <SendIcon size={20} />}
          </button>
        )}
      </div>
      <span id={hintId} className="visually-hidden">
        {hint}
      </span>
      {identityGuard.dialog}
    </form>
  );
}
