import type { ErrorCode } from '../protocol/frames.js';
import { ACCOUNT_CAPS, LIMITS } from '../protocol/limits.js';
import { KEY_LIMITS } from '../protocol/key-frames.js';
import type { RefusalReason } from '../protocol/refusal-reasons.js';

/**
 * Every refusal the sync socket answers for a well-formed frame: its error code (the class the
 * client acts on), its reason (what the client puts in words for the person) and a message for
 * developers and logs. All are permanent (see isPermanentError): retrying the same frame cannot
 * help. A Record, so that a new reason cannot go unanswered.
 */
export interface Refusal {
  code: ErrorCode;
  reason: RefusalReason;
  message: string;
}

const refusal = (code: ErrorCode, message: string) => ({ code, message });

const TABLE: Record<RefusalReason, { code: ErrorCode; message: string }> = {
  /** One answer for "does not exist" and "not yours": a stranger must not learn which ids are real. */
  conversation_not_found: refusal('not_found', 'Conversation not found'),
  client_id_reused: refusal('invalid', 'This client id was already used for a different message or change'),
  message_id_taken: refusal('conflict', 'Another message in this conversation already has this clientMessageId'),
  reply_target_missing: refusal('invalid', 'The message you replied to does not exist'),
  start_with_yourself: refusal('invalid', 'You cannot start a conversation with yourself'),
  no_such_user: refusal('not_found', 'No such user'),
  conversation_id_taken: refusal('conflict', 'Another conversation already has this id'),
  bad_conversation_id: refusal(
    'invalid',
    'A direct conversation must use the id derived from its pair, and a group may not use such an id',
  ),
  no_such_message: refusal('invalid', 'No such message in this conversation'),
  not_author: refusal('forbidden', 'Only the author can edit/delete a message'),
  message_deleted: refusal('invalid', 'This message was deleted'),
  already_deleted: refusal('invalid', 'This message was already deleted'),
  too_many_reactions: refusal('invalid', `At most ${LIMITS.maxReactionsPerPerson} different reactions per person on one message`),
  // One answer for "no such message", "not in a conversation of yours" and "from before you joined".
  forwarded_message_missing: refusal('invalid', 'The forwarded message is not one you can see'),
  not_a_group: refusal('invalid', 'Only groups have members to change'),
  not_allowed: refusal('forbidden', 'Your role in this group does not allow that'),
  not_a_member: refusal('invalid', 'That person is not a member of this group'),
  already_member: refusal('invalid', 'Everyone named is a member already'),
  cannot_remove_owner: refusal('forbidden', 'Nobody can remove the owner of a group'),
  role_unchanged: refusal('invalid', 'That member already has that role'),
  too_many_members: refusal('invalid', 'The group would have more members than this server allows'),
  cannot_add_to_groups: refusal('forbidden', 'Someone named cannot be added to groups by you'),
  // The send frame's: one answer for "no such upload", "not yours", "not finished" and "not these bytes".
  attachment_missing: refusal('invalid', 'An attachment is not a finished upload you may refer to'),
  // The upload endpoint's (HTTP), in the same words.
  file_too_large: refusal('invalid', 'The file is larger than this server accepts (see limits.maxFileBytes in the welcome)'),
  quota_exceeded: refusal('forbidden', 'Your uploads would use more storage than this server allows you'),
  checksum_mismatch: refusal('invalid', 'The bytes that arrived do not have the SHA-256 that was declared'),
  empty_file: refusal('invalid', 'An empty file cannot be uploaded'),
  // set_settings: a block names another person (no_such_user when there is nobody by that id).
  cannot_block_yourself: refusal('invalid', 'You cannot block yourself'),
  // set_settings: sealed registers past the account's budget (settings-rules.ts); a smaller write still goes.
  settings_full: refusal(
    'forbidden',
    'Your sealed settings would use more storage, or more registers, than this server keeps for one account',
  ),
  too_many_devices: refusal(
    'forbidden',
    `This account is signed in on ${ACCOUNT_CAPS.maxDevicesPerAccount} devices already; end a session on one of them first`,
  ),
  too_many_conversations_created: refusal(
    'forbidden',
    `At most ${ACCOUNT_CAPS.maxConversationsCreatedPerHour} new conversations per person in an hour`,
  ),
  too_many_members_added: refusal(
    'forbidden',
    `At most ${ACCOUNT_CAPS.maxMembersAddedPerHour} people added to groups per person in an hour`,
  ),
  no_keys: refusal('not_found', 'No keys published for this user'),
  keys_incomplete: refusal('invalid', "A device's first publish needs its signed prekey and its Kyber last-resort prekey"),
  identity_key_mismatch: refusal('conflict', 'This is not your identity key; say replaceIdentity to replace it'),
  too_many_prekeys: refusal(
    'invalid',
    `At most ${KEY_LIMITS.maxPrekeysStored} one-time prekeys of each kind may be stored per device`,
  ),
  not_a_contact: refusal('forbidden', 'Device envelopes go only to your own devices and people you share a conversation with'),
  no_such_device: refusal('not_found', 'No device of yours by that number is signed in'),
  device_already_linked: refusal('conflict', 'That device has published keys: it is linked already'),
  conversation_devices_changed: refusal(
    'conflict',
    "The members' devices are not the ones this was sealed for; the current ones come with this refusal",
  ),
  backup_version_mismatch: refusal(
    'conflict',
    'The stored key backup is not the version this replaces; fetch it, merge and write again',
  ),
};

export const REFUSALS = Object.fromEntries(Object.entries(TABLE).map(([reason, entry]) => [reason, { ...entry, reason }])) as {
  [R in RefusalReason]: Refusal & { reason: R };
};
