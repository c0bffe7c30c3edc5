import type { ClientFrame } from '../protocol/frames.js';
import { catchUp, groupChange, sendEnvelope } from './handlers/events.js';
import { createConversation, findUser, listConversations, startConversation } from './handlers/conversations.js';
import { only, type HandlerContext, type HandlerResult } from './handlers/handler-result.js';
import { ackInbox, fetchInbox, sendToDevices } from './handlers/inbox.js';
import { countKeys, fetchIdentity, fetchKeyBundles, publishKeys } from './handlers/keys.js';
import { fetchConversationDevices } from './handlers/conversation-devices.js';
import { describeOwnDevice, linkDevice } from './handlers/linking.js';
import { fetchKeyBackup, putKeyBackup } from './handlers/key-backup.js';
import { fetchTurnCredentials, sendEphemeral } from './handlers/calls.js';
import { receipt } from './handlers/receipts.js';
import { listSettings, setSettings } from './handlers/settings.js';
import { typing } from './handlers/typing.js';

export {
  errorReply,
  type Fanout,
  type HandlerContext,
  type HandlerResult,
  type ServerLimits,
} from './handlers/handler-result.js';

/** Routes a validated client frame to its handler. Each handler lives with its peers in handlers/. */
export async function handleFrame(ctx: HandlerContext, frame: ClientFrame): Promise<HandlerResult> {
  switch (frame.type) {
    case 'group_change':
      return groupChange(ctx, frame);
    case 'create_conversation':
      return createConversation(ctx, frame);
    case 'find_user':
      return findUser(ctx, frame);
    case 'typing':
      return typing(ctx, frame);
    case 'catch_up':
      return catchUp(ctx, frame);
    case 'list_conversations':
      return listConversations(ctx, frame);
    case 'start_conversation':
      return startConversation(ctx, frame);
    case 'receipt':
      return receipt(ctx, frame);
    case 'set_settings':
      return setSettings(ctx, frame);
    case 'list_settings':
      return listSettings(ctx, frame);
    case 'ping':
      return only({ type: 'ok', rid: frame.rid });
    case 'publish_keys':
      return publishKeys(ctx, frame);
    case 'fetch_key_bundles':
      return fetchKeyBundles(ctx, frame);
    case 'count_keys':
      return countKeys(ctx, frame);
    case 'fetch_identity':
      return fetchIdentity(ctx, frame);
    case 'send_to_devices':
      return sendToDevices(ctx, frame);
    case 'fetch_inbox':
      return fetchInbox(ctx, frame);
    case 'ack_inbox':
      return ackInbox(ctx, frame);
    case 'send_envelope':
      return sendEnvelope(ctx, frame);
    case 'fetch_conversation_devices':
      return fetchConversationDevices(ctx, frame);
    case 'describe_own_device':
      return describeOwnDevice(ctx, frame);
    case 'link_device':
      return linkDevice(ctx, frame);
    case 'put_key_backup':
      return putKeyBackup(ctx, frame);
    case 'fetch_key_backup':
      return fetchKeyBackup(ctx, frame);
    case 'fetch_turn_credentials':
      return fetchTurnCredentials(ctx, frame);
    case 'send_ephemeral':
      return sendEphemeral(ctx, frame);
  }
}
