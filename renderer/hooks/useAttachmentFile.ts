import { useCallback, useEffect, useState } from 'react';
import type { AttachmentView, MessageView } from '../../sync/app-api/contract.js';
import { useActions } from '../state/context.js';
import { saveStoredFile } from '../state/save-file.js';

/**
 * Saving (and, for a voice message, playing) an attachment that may not be here yet: asks the core
 * to fetch it, and does what was asked once its verified copy is in the profile (localUrl set).
 */
export function useAttachmentFile(message: MessageView, attachment: AttachmentView) {
  const { downloadAttachment } = useActions();
  const [waitingToSave, setWaitingToSave] = useState(false);
  const here = attachment.localUrl !== null;

  useEffect(() => {
    if (!waitingToSave || !here) return;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the wait is over: the file has arrived
    setWaitingToSave(false);
    saveStoredFile(attachment.sha256, attachment.name);
  }, [waitingToSave, here, attachment.sha256, attachment.name]);

  const fetchIt = useCallback(
    () => downloadAttachment(message.id, attachment.index),
    [downloadAttachment, message.id, attachment.index],
  );

  const save = useCallback(() => {
    if (here) {
      saveStoredFile(attachment.sha256, attachment.name);
      return;
    }
    setWaitingToSave(true);
    void fetchIt();
  }, [here, attachment.sha256, attachment.name, fetchIt]);

  return { save, fetch: fetchIt, waitingToSave };
}
