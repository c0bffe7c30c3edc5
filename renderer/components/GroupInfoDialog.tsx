import { useEffect, useId, useState, type FormEvent } from 'react';
import type { ConversationInfo, MemberView } from '../../sync/app-api/contract.js';
import type { User } from '../../sync/protocol/frames.js';
import { LIMITS } from '../../sync/protocol/limits.js';
import { mayManageMembers, mayRemove, maySetRoles } from '../../sync/protocol/rules.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { AddPeopleField } from './AddPeopleField.js';
import { Avatar } from './Avatar.js';
import { FailedGroupChanges } from './FailedGroupChanges.js';
import { ModalDialog } from './ModalDialog.js';
import { SafetyNumberDialog } from './SafetyNumberDialog.js';

/** Runs a group change, keeping its failure to show; the core's refusal is put in words. */
function useChange() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (call: () => Promise<void>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await call();
      return true;
    } catch (failure) {
      setError(describeError(failure));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run, setError };
}

function RenameForm({ name }: { name: string }) {
  const { renameGroup } = useActions();
  const inputId = useId();
  const [value, setValue] = useState(name);
  const { error, busy, run, setError } = useChange();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = value.trim();
    if (trimmed.length < LIMITS.minGroupNameChars) return setError(t.newGroup.nameRequired);
    if (trimmed.length > LIMITS.maxGroupNameChars) return setError(t.newGroup.nameTooLong(LIMITS.maxGroupNameChars));
    if (trimmed === name) return;
    void run(() => renameGroup(trimmed));
  };
  return (
    <form className="field group-info__rename" onSubmit={submit} noValidate>
      <label className="field__label" htmlFor={inputId}>
        {t.group.name}
      </label>
      <div className="add-people__row">
        <input
          id={inputId}
          className="field__input"
          type="text"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          autoComplete="off"
        />
        <button type="submit" className="button button--secondary" disabled={busy}>
          {t.group.save}
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function MemberRow({
  member,
  info,
  blocked,
  onError,
}: {
  member: MemberView;
  info: ConversationInfo;
  /** Whether you blocked this member (null while not known yet). */
  blocked: boolean | null;
  onError: (run: () => Promise<void>) => void;
}) {
  const { removeMember, setRole, setBlocked } = useActions();
  const [verifying, setVerifying] = useState(false);
  const name = member.user.displayName;
  const myRole = info.isMember ? info.role : null;
  const canRemove = myRole !== null && !member.you && mayRemove(myRole, member.role);
  const canSetRole = myRole !== null && !member.you && maySetRoles(myRole) && member.role !== 'owner';
  const roleLabel = member.role === 'owner' ? t.group.owner : member.role === 'admin' ? t.group.admin : null;
  return (
    <li className={`people__item${member.pending ? ' people__item--pending' : ''}`}>
      <Avatar user={member.user} size="small" />
      <span className="people__name">{name}</span>
      {member.you && <span className="people__username">{t.group.you}</span>}
      {roleLabel && <span className="people__role">{roleLabel}</span>}
      {member.pending && <span className="people__pending">{t.group.pending}</span>}
      <span className="people__actions">
        {canSetRole && (
          <button
            type="button"
            className="link-button"
            onClick={() => onError(() => setRole(member.user.id, member.role === 'admin' ? 'member' : 'admin'))}
          >
            {member.role === 'admin' ? t.group.unmakeAdmin(name) : t.group.makeAdmin(name)}
          </button>
        )}
        {canRemove && (
          <button
            type="button"
            className="link-button link-button--danger"
            onClick={() => onError(() => removeMember(member.user.id))}
          >
            {t.group.remove(name)}
          </button>
        )}
        {!member.you && blocked !== null && (
          <button
            type="button"
            className={`link-button${blocked ? '' : ' link-button--danger'}`}
            onClick={() => onError(() => setBlocked(member.user.id, !blocked))}
          >
            {blocked ? t.group.unblock(name) : t.group.block(name)}
          </button>
        )}
        {!member.you && (
          <button type="button" className="link-button" onClick={() => setVerifying(true)}>
            {t.safetyNumber.verify}
          </button>
        )}
      </span>
      {verifying && <SafetyNumberDialog person={member.user} onClose={() => setVerifying(false)} />}
    </li>
  );
}

function LeaveDialog({ onClose, onLeft }: { onClose: () => void; onLeft: () => void }) {
  const { leaveGroup } = useActions();
  const { error, busy, run } = useChange();
  return (
    <ModalDialog title={t.group.leave} description={t.group.leaveDescription} onClose={onClose}>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose} autoFocus>
          {t.group.cancel}
        </button>
        <button
          type="button"
          className="button button--danger"
          disabled={busy}
          onClick={() => void run(leaveGroup).then((ok) => ok && onLeft())}
        >
          {t.group.leaveConfirm}
        </button>
      </div>
    </ModalDialog>
  );
}

/**
 * The ids of the people you blocked, read again whenever the conversation list changes (a block
 * changed here or on another device re-reads it); null until read, or when it cannot be.
 */
function useBlockedIds(): ReadonlySet<string> | null {
  const { loadBlocked } = useActions();
  const conversations = useApp((s) => s.conversations);
  const [ids, setIds] = useState<ReadonlySet<string> | null>(null);
  useEffect(() => {
    let current = true;
    loadBlocked().then(
      (people) => current && setIds(new Set(people.map((person) => person.id))),
      () => current && setIds(null),
    );
    return () => {
      current = false;
    };
  }, [loadBlocked, conversations]);
  return ids;
}

/**
 * "Group info": the members with their roles, and what your role allows: add and remove members,
 * rename, make and unmake admins (the same pure rules the server applies), and leave.
 */
export function GroupInfoDialog({ onClose }: { onClose: () => void }) {
  const info = useApp((s) => (s.info && s.info.conversationId === s.open?.id ? s.info.view : null));
  const summary = useApp((s) => (s.open ? (s.conversations.find((c) => c.id === s.open!.id) ?? null) : null));
  const { addMembers } = useActions();
  const blockedIds = useBlockedIds();
  const [adding, setAdding] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const { error, run } = useChange();

  const role = info?.isMember ? info.role : null;
  const manage = role !== null && mayManageMembers(role);
  const name = info?.name ?? summary?.title ?? '';

  const onFound = async (user: User): Promise<string | null> => {
    if (info?.members.some((member) => member.user.id === user.id)) return t.refusals.already_member;
    try {
      await addMembers([user.id]);
      return null;
    } catch (failure) {
      return describeError(failure);
    }
  };

  return (
    <ModalDialog title={t.group.info} onClose={onClose} className="dialog--group">
      <p className="group-info__name">{name}</p>
      {manage && <RenameForm key={name} name={name} />}
      <ul className="people" aria-label={t.group.membersList}>
        {info?.members.map((member) => (
          <MemberRow
            key={member.user.id}
            member={member}
            info={info}
            blocked={blockedIds ? blockedIds.has(member.user.id) : null}
            onError={(call) => void run(call)}
          />
        ))}
      </ul>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {manage &&
        (adding ? (
          <AddPeopleField onFound={onFound} autoFocus />
        ) : (
          <button type="button" className="button button--secondary" onClick={() => setAdding(true)}>
            {t.group.addMembers}
          </button>
        ))}
      <FailedGroupChanges />
      <div className="dialog__actions">
        {info?.isMember && (
          <button type="button" className="button button--danger group-info__leave" onClick={() => setLeaving(true)}>
            {t.group.leave}
          </button>
        )}
        <button type="button" className="button button--secondary" onClick={onClose}>
          {t.group.close}
        </button>
      </div>
      {leaving && <LeaveDialog onClose={() => setLeaving(false)} onLeft={onClose} />}
    </ModalDialog>
  );
}
