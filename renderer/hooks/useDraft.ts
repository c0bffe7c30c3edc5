/**
 * The composer's draft, kept by the core (getDraft / setDraft): in the mirror, across restarts,
 * and synced to your other devices (the last writer wins). Loaded when the composer mounts (one per
 * conversation); what the person types is saved once they pause (DRAFT_SAVE_MS), and at once when
 * the composer goes away (switching conversations, closing the page). A change from another device
 * (AppEvent 'settings') is read again unless the person is typing here.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MessageView } from '../../sync/app-api/contract.js';
import type { DraftView } from '../../sync/app-api/personal-settings-api.js';
import { useActions, useApp } from '../state/context.js';

/** Save this long after the last change. */
export const DRAFT_SAVE_MS = 300;
/** Typed this recently: a draft from elsewhere does not replace what is in the box. */
const TYPING_MS = 2000;

interface Options {
  conversationId: string;
  /** The box started with the whole draft (the list's preview), before the core answered for it. */
  prefilled: boolean;
  /** What the box holds, and the message being answered. */
  text: string;
  replyId: string | null;
  /** While editing a message the box holds its text, not the draft: nothing is saved or loaded. */
  editing: boolean;
  /** Puts a draft read from the core in the box. */
  setText: (text: string) => void;
  /** Shows the draft's reply target once its message is loaded. */
  startReply: (message: MessageView) => void;
  cancelReply: () => void;
}

const EMPTY: DraftView = { text: '', replyTo: null };
const same = (a: DraftView, b: DraftView) => a.text === b.text && a.replyTo === b.replyTo;

export function useDraft({ conversationId, prefilled, text, replyId, editing, setText, startReply, cancelReply }: Options) {
  const { loadDraft, saveDraft } = useActions();
  /** What the core holds, as far as this composer knows. */
  const saved = useRef<DraftView>(EMPTY);
  /** What the box held when last looked at (outside editing), a reply still loading included. */
  const shown = useRef<DraftView>({ text, replyTo: replyId });
  /** Grows with every change the person makes: a read that started before one is dropped. */
  const changes = useRef(0);
  const lastChangeAt = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  /** The draft's reply target, until its message is in the loaded history. */
  const [pendingReply, setPendingReply] = useState<string | null>(null);

  const apply = useRef({ setText, startReply, cancelReply });
  useEffect(() => {
    apply.current = { setText, startReply, cancelReply };
  });

  const flush = useCallback(() => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
    const draft = shown.current;
    if (same(draft, saved.current)) return;
    saved.current = draft;
    saveDraft(conversationId, draft.text, draft.replyTo).catch((error: unknown) => console.warn('setDraft failed', error));
  }, [conversationId, saveDraft]);

  const prefilledAtMount = useRef(prefilled);
  const mergedUnderTyped = useRef(false);

  const read = useCallback(() => {
    const at = changes.current;
    loadDraft(conversationId).then(
      (loaded) => {
        const draft = loaded ?? EMPTY;
        if (changes.current !== at || timer.current !== null) {
          // The person typed before the first read came back (a slow machine): the draft stays
          // beneath what they typed. A box that began empty gets it in front; one that began with
          // the whole draft has it already. Its reply target comes back unless they chose another.
          // Once only: a second read answering late must not put the draft in front again.
          if (at === 0 && !mergedUnderTyped.current) {
            mergedUnderTyped.current = true;
            const typed = shown.current;
            if (!prefilledAtMount.current && draft.text !== '') apply.current.setText(draft.text + typed.text);
            if (typed.replyTo === null && draft.replyTo !== null) setPendingReply(draft.replyTo);
          }
          // Otherwise they changed something meanwhile: what they typed wins (and is saved).
          return;
        }
        saved.current = draft;
        if (same(draft, shown.current)) return;
        shown.current = draft;
        apply.current.setText(draft.text);
        if (draft.replyTo === null) apply.current.cancelReply();
        setPendingReply(draft.replyTo);
      },
      (error: unknown) => console.warn('getDraft failed', error),
    );
  }, [conversationId, loadDraft]);

  useEffect(() => read(), [read]);

  // Changes the person makes are saved once they pause.
  useEffect(() => {
    if (editing) return;
    const next: DraftView = { text, replyTo: replyId ?? pendingReply };
    if (same(next, shown.current)) return;
    shown.current = next;
    changes.current++;
    lastChangeAt.current = Date.now();
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(flush, DRAFT_SAVE_MS);
  }, [text, replyId, pendingReply, editing, flush]);

  // Leaving (another conversation, signing out, closing the page): save what is pending now.
  useEffect(() => {
    const onPageHide = () => {
      if (timer.current !== null) flush();
    };
    window.addEventListener('pagehide', onPageHide);
    return () => {
      window.removeEventListener('pagehide', onPageHide);
      if (timer.current !== null) flush();
    };
  }, [flush]);

  // Changed on another device: read it again, unless the person is typing here.
  const settingsChange = useApp((s) => s.settingsChange);
  const seenChange = useRef(settingsChange.n);
  useEffect(() => {
    if (settingsChange.n === seenChange.current) return;
    seenChange.current = settingsChange.n;
    if (!settingsChange.conversationIds.includes(conversationId) || editing) return;
    if (timer.current !== null || Date.now() - lastChangeAt.current < TYPING_MS) return;
    read();
  }, [settingsChange, conversationId, editing, read]);

  // The reply target comes back once its message is loaded (the person may have chosen another meanwhile).
  const replyMessage = useApp((s) =>
    pendingReply !== null && s.open?.id === conversationId ? (s.open.messages.find((m) => m.id === pendingReply) ?? null) : null,
  );
  useEffect(() => {
    if (replyMessage === null) return;
    /* eslint-disable-next-line react-hooks/set-state-in-effect -- the reply target waited for its message to load */
    setPendingReply(null);
    if (replyId === null) apply.current.startReply(replyMessage);
  }, [replyMessage, replyId]);

  return {
    /** The message was sent: the core cleared the draft with it (no need to save the empty box). */
    sent() {
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
      saved.current = EMPTY;
      shown.current = EMPTY;
      setPendingReply(null);
    },
  };
}
