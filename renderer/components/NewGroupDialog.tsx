import { useId, useRef, useState, type FormEvent } from 'react';
import type { User } from '../../sync/protocol/frames.js';
import { LIMITS } from '../../sync/protocol/limits.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { AddPeopleField } from './AddPeopleField.js';
import { Avatar } from './Avatar.js';
import { FormActions } from './FormActions.js';
import { CloseIcon } from './icons.js';
import { ModalDialog } from './ModalDialog.js';

/**
 * "New group": a name and the people in it. Works offline for people this profile knows; the
 * group opens at once and is created on the server when it can be.
 */
export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const { createGroup } = useActions();
  const myId = useApp((s) => s.session?.user.id ?? null);
  const nameId = useId();
  const nameRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState('');
  const [members, setMembers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const onFound = (user: User): string | null => {
    if (user.id === myId) return t.newGroup.yourself;
    if (members.some((member) => member.id === user.id)) return t.newGroup.alreadyAdded(user.username);
    setMembers((current) => [...current, user]);
    return null;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const trimmed = name.trim();
    if (trimmed.length < LIMITS.minGroupNameChars) {
      setError(t.newGroup.nameRequired);
      nameRef.current?.focus();
      return;
    }
    if (trimmed.length > LIMITS.maxGroupNameChars) {
      setError(t.newGroup.nameTooLong(LIMITS.maxGroupNameChars));
      nameRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await createGroup(
        trimmed,
        members.map((member) => member.id),
      );
      onClose();
    } catch (failure) {
      setBusy(false);
      setError(describeError(failure));
    }
  };

  return (
    <ModalDialog title={t.newGroup.title} description={t.newGroup.description} onClose={onClose} className="dialog--group">
      <form className="dialog__form" onSubmit={(event) => void submit(event)} noValidate>
        <div className="field">
          <label className="field__label" htmlFor={nameId}>
            {t.newGroup.name}
          </label>
          <input
            ref={nameRef}
            id={nameId}
            className="field__input"
            type="text"
            value={name}
            maxLength={LIMITS.maxGroupNameChars + 20}
            onChange={(event) => setName(event.target.value)}
            autoComplete="off"
            autoFocus
          />
        </div>
        <AddPeopleField onFound={onFound} />
        <ul className="people" aria-label={t.newGroup.members}>
          {members.map((member) => (
            <li key={member.id} className="people__item">
              <Avatar user={member} size="small" />
              <span className="people__name">{member.displayName}</span>
              <span className="people__username">{t.user.handle(member.username)}</span>
              <button
                type="button"
                className="icon-button icon-button--small"
                aria-label={t.newGroup.remove(member.username)}
                title={t.newGroup.remove(member.username)}
                onClick={() => setMembers((current) => current.filter((m) => m.id !== member.id))}
              >
                <CloseIcon size={14} />
              </button>
            </li>
          ))}
        </ul>
        {members.length === 0 && <p className="people__empty">{t.newGroup.noMembers}</p>}
        <FormActions
          error={error}
          cancelLabel={t.newGroup.cancel}
          onCancel={onClose}
          submitLabel={busy ? t.newGroup.creating : t.newGroup.create}
          submitDisabled={busy}
        />
      </form>
    </ModalDialog>
  );
}
