/**
 * Why the server refused a well-formed request, as a code on the wire (the `reason` of an error
 * reply). The words a person reads for each live in the renderer's language files; the server's
 * `message` is for logs and developers only.
 */
export const REFUSAL_REASONS = [
  // Conversations and identity
  'conversation_not_found', // does not exist, or the caller is not a member (the two look alike)
  'client_id_reused', // the client id was used before for something else
  'message_id_taken', // another member's message already has this id
  'reply_target_missing',
  'start_with_yourself',
  'no_such_user',
  'conversation_id_taken', // a new conversation's id belongs to another conversation
  'bad_conversation_id', // a direct id that is not the pair's, or a group id shaped like one
  // Changes to messages
  'no_such_message',
  'not_author',
  'message_deleted',
  'already_deleted',
  'too_many_reactions',
  'forwarded_message_missing', // a forward names a message the sender cannot see now (or that was never stored)
  // Groups
  'not_a_group', // a group operation on a direct conversation
  'not_allowed', // the caller's role does not allow it
  'not_a_member', // the person the change is about is not a member
  'already_member',
  'cannot_remove_owner',
  'role_unchanged',
  'too_many_members',
  'cannot_add_to_groups', // a block stands between the adder and someone named, or they let only contacts add them (the reason is not told)
  // Attachments (uploads are refused over HTTP with the same codes)
  'attachment_missing', // not an upload of the sender's that finished with this SHA-256 and size
  'file_too_large', // over the server's per-file limit
  'quota_exceeded', // the sender's uploads would pass their storage quota
  'checksum_mismatch', // the bytes that arrived do not have the SHA-256 the client declared
  'empty_file',
  // Personal settings
  'cannot_block_yourself',
  'settings_full', // the account's sealed settings would pass what the server keeps for one account (ACCOUNT_CAPS)
  // Caps on what one account may do (ACCOUNT_CAPS)
  'too_many_devices', // signing in on one more device than an account may have
  'too_many_conversations_created', // in the last hour
  'too_many_members_added', // to groups, in the last hour
  // The key directory (key-frames.ts)
  'no_keys', // nobody by that id, or somebody who has published no keys (the two look alike)
  'keys_incomplete', // a device's first publish lacks its signed prekey or its Kyber last-resort prekey
  'identity_key_mismatch', // not the person's identity key, and the frame does not say it replaces it
  'too_many_prekeys', // the device would have more one-time prekeys of a kind stored than KEY_LIMITS allows
  // The device inbox (inbox-frames.ts)
  'not_a_contact', // someone named is not the sender and shares no conversation with them
  // Linking a device (link-frames.ts)
  'no_such_device', // the account has no device of that number signed in
  'device_already_linked', // that device has published keys: it has an identity already
  // Conversation envelopes (envelope-frames.ts)
  'conversation_devices_changed', // sealed for devices that are not the members' current ones: the refusal carries them; hand the key, seal again
  // The key backup (backup-frames.ts)
  'backup_version_mismatch', // the stored backup is not the version the write replaces: fetch it, merge, write again
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];
