import { useCallback, useEffect, useRef, useState } from 'react';
import type { AttachmentInput } from '../../sync/app-api/contract.js';
import { ATTACHMENT_LIMITS } from '../../sync/protocol/attachments.js';
import { admitFiles, draftName, prepareAttachment, type DraftItem, type DraftProblem } from '../state/attachment-draft.js';
import { useActions } from '../state/context.js';
import { describeImage } from '../state/image-facts.js';
import { FileImportError, importFile } from '../transport/files.js';

export interface AttachmentDraft {
  items: DraftItem[];
  /** Why files were not queued (shown as an alert until the next change). */
  problems: DraftProblem[];
  /** Checks, then copies the files into the store one by one. */
  add: (files: readonly File[]) => void;
  remove: (key: string) => void;
  /** True while a file is still being copied or decoded (sending waits). */
  preparing: boolean;
  /** What to send (every file is ready), or null when there is nothing. */
  ready: () => AttachmentInput[] | null;
  clear: () => void;
  /** Puts items back (a send that failed gives its files back). */
  restore: (items: DraftItem[]) => void;
}

let nextKey = 1;

/** The files chosen for the next message of one conversation (its composer's). */
export function useAttachmentDraft(): AttachmentDraft {
  const { getAttachmentLimits } = useActions();
  const [items, setItems] = useState<DraftItem[]>([]);
  const [problems, setProblems] = useState<DraftProblem[]>([]);
  const itemsRef = useRef(items);
  useEffect(() => {
    itemsRef.current = items;
  }, [items]);

  const update = useCallback((key: string, change: (item: DraftItem) => DraftItem | null) => {
    setItems((current) => current.flatMap((item) => (item.key === key ? (change(item) ?? []) : [item])));
  }, []);

  const add = useCallback(
    (files: readonly File[]) => {
      if (files.length === 0) return;
      void (async () => {
        const maxFileBytes = await getAttachmentLimits().then(
          (limits) => limits.maxFileBytes,
          () => ATTACHMENT_LIMITS.defaultMaxFileBytes,
        );
        const { admitted, problems: refused } = admitFiles(files, maxFileBytes, itemsRef.current.length);
        setProblems(refused);
        const queued = admitted.map((file) => ({
          file,
          item: { key: `a${nextKey++}`, name: draftName(file), size: file.size, state: 'preparing' as const, input: null },
        }));
        setItems((current) => [...current, ...queued.map((entry) => entry.item)]);
        for (const { file, item } of queued) {
          try {
            const input = await prepareAttachment(file, item.name, { importFile: (blob) => importFile(blob), describeImage });
            update(item.key, (current) => ({ ...current, state: 'ready', input }));
          } catch (error) {
            update(item.key, () => null);
            const code = error instanceof FileImportError ? error.code : 'other';
            setProblems((current) => [...current, { kind: 'import_failed', name: item.name, code }]);
          }
        }
      })();
    },
    [getAttachmentLimits, update],
  );

  const remove = useCallback((key: string) => {
    setItems((current) => current.filter((item) => item.key !== key));
    setProblems([]);
  }, []);

  const ready = useCallback((): AttachmentInput[] | null => {
    const current = itemsRef.current;
    // Called right after a render: the ref holds what is on screen.
    if (current.length === 0 || current.some((item) => item.input === null)) return null;
    return current.map((item) => item.input!);
  }, []);

  const clear = useCallback(() => {
    setItems([]);
    setProblems([]);
  }, []);

  const restore = useCallback((restored: DraftItem[]) => {
    setItems((current) => [...restored, ...current]);
  }, []);

  return { items, problems, add, remove, preparing: items.some((item) => item.state === 'preparing'), ready, clear, restore };
}
