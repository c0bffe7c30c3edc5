/**
 * The renderer's whole state: what the core last told us, re-read whenever it says something
 * changed (AppEvent). The core is the source of truth; the store only adds a few optimistic
 * touches (a sent message appears at once, a discarded one disappears, a read badge clears).
 *
 * This module only puts the areas together and routes the core's events to them:
 *   session.ts        session, defaults, connection; sign in and out
 *   conversations.ts  the conversation list; starting conversations and groups
 *   messages.ts       the open conversation's history, sending, optimistic changes to messages
 *   activity.ts       typing and presence in the open conversation
 *   group-info.ts     members, roles and name of the open conversation; group changes
 *   transfers.ts      live upload and download progress in the open conversation
 *   forward.ts        forwarding a message to other conversations
 *   search.ts         the sidebar's search: the query, its newest answer, opening a result
 *   pins.ts           the open conversation's pinned messages; pinning
 *   polls.ts          sending polls, voting, ending them (shown at once, like reactions)
 *   gifs.ts           the picker's GIF search, and sending the GIF chosen as an image
 *   stickers.ts       sticker packs: made, listed, sent from, and added from a received sticker
 *   locations.ts      sending locations
 *   disappearing.ts   a conversation's disappearing-message timer, and who may set it
 *   settings.ts       archive, mute, block, drafts, link previews (your own settings)
 *   preferences.ts    this device's theme, language, notification previews, Work offline, call devices
 *   outbox.ts         the outbox inspector's listing while its dialog is open; Retry now, Discard
 *   recovery-key.ts   the recovery key after sign-up and in the settings
 *   calls.ts          the call on this device: its view, media, peer connection and ringtone
 *   group-calls.ts    group calls going on, and the one this device is in: its media, a peer connection per device
 * Each resource has one coalesced refetch (coalesce.ts): at most one call in flight and one
 * pending. Re-read lists keep unchanged items by structural equality (equal.ts).
 */
import { createStore } from 'zustand/vanilla';
import type { AppApiClient } from '../../sync/app-api/client.js';
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { RendererTransport } from '../transport/types.js';
import { createActivity } from './activity.js';
import { createCalls } from './calls.js';
import { silentCallMedia, type CallMediaFactory } from '../calls/media-engine.js';
import { createConversations } from './conversations.js';
import { createDisappearing } from './disappearing.js';
import { createForward } from './forward.js';
import { createGroupCalls, NO_GROUP_CALLS } from './group-calls.js';
import { createGroupInfo } from './group-info.js';
import { createMessages } from './messages.js';
import { createPins } from './pins.js';
import { createGifs } from './gifs.js';
import { createStickers } from './stickers.js';
import { createPolls } from './polls.js';
import { createLocations } from './locations.js';
import { thisPage } from '../transport/geolocation.js';
import { createPreferences } from './preferences.js';
import { createRecoveryKey } from './recovery-key.js';
import { createSafetyNumbers } from './safety-numbers.js';
import { createSearch, idleSearch } from './search.js';
import { createSession } from './session.js';
import { createOutbox } from './outbox.js';
import { createSessions } from './sessions.js';
import { createLinking } from './linking.js';
import { createSettings } from './settings.js';
import { createTransfers } from './transfers.js';
import type { AppActions, AppState, AppStore, StoreKit } from './types.js';

export { MESSAGE_PAGE, WINDOW_MAX, sortMessages } from './messages.js';
export { isDeletedPreview, sortConversations } from './conversations.js';
export type {
  AppActions,
  AppState,
  AppStore,
  ConversationActivity,
  OpenConversation,
  OpenConversationInfo,
  OpenPins,
  Phase,
  SearchState,
  SettingsChange,
} from './types.js';

type Link = Pick<RendererTransport, 'status' | 'onStatus'>;

/**
 * `callMedia` makes the page's ringtone, devices and peer connections, one engine for one-to-one
 * calls and one for group calls (none where there is no WebRTC, as in unit tests).
 */
export function createAppStore(api: AppApiClient, link: Link, callMedia: CallMediaFactory = silentCallMedia): AppStore {
  const callEngines = { direct: callMedia(), group: callMedia() };
  let dispose = () => {};
  /** Assigned by the initialiser below, which has `set`/`get`. */
  let onEvent: (event: AppEvent) => void = () => {};

  const store = createStore<AppState>()((set, get) => {
    const kit: StoreKit = { api, get, set: (partial) => set(partial), userId: () => get().session?.user.id ?? null };

    const activity = createActivity(kit);
    const transfers = createTransfers(kit);
    const search = createSearch(kit);
    const info = createGroupInfo(kit, {
      changed: () => {
        void conversations.refresh();
        void messages.refresh();
      },
    });
    const messages = createMessages(kit, {
      refreshConversations: () => conversations.refresh(),
      opened: (id) => {
        activity.reset();
        transfers.reset();
        info.reset();
        pins.reset();
        if (id === null) return;
        void activity.refresh();
        void info.refresh();
        void pins.refresh();
      },
    });
    const pins = createPins(kit, { refreshMessages: () => messages.refresh() });
    const preferences = createPreferences(kit);
    const outbox = createOutbox(kit);
    const conversations = createConversations(kit, { openConversation: (id) => messages.actions.openConversation(id) });
    const session = createSession(kit, {
      clearSignedIn: () => {
        messages.reset();
        conversations.reset();
        activity.reset();
        info.reset();
        transfers.reset();
        search.reset();
        pins.reset();
        outbox.reset();
        calls.reset();
        groupCalls.reset();
        locations.reset();
        set({ open: null, notice: null, linkState: { kind: 'unknown' } });
      },
      signedIn: () => {
        void conversations.refresh();
        void locations.resume();
        void linking.refresh();
        void calls.refresh();
        void groupCalls.refresh();
        // A window reloaded mid-call has the call's conversation open behind it, as before.
        void Promise.all([api.getCall({}), api.getGroupCalls({})]).then(
          ([call, group]) => {
            const inCall = call?.conversationId ?? group.joined?.conversationId;
            if (get().open === null && inCall !== undefined) messages.actions.openConversation(inCall);
          },
          (error: unknown) => console.error('the call to show behind the window was not read', error),
        );
      },
      refreshSignedIn: () =>
        Promise.all([
          conversations.refresh(),
          messages.refresh(),
          activity.refresh(),
          info.refresh(),
          pins.refresh(),
          calls.refresh(),
          groupCalls.refresh(),
        ]),
    });
    const linking = createLinking(kit);
    const locations = createLocations(kit, { showSent: messages.showSent, page: thisPage() });
    const calls = createCalls(kit, callEngines.direct);
    const groupCalls = createGroupCalls(kit, callEngines.group);
    dispose = () => {
      activity.dispose();
      search.dispose();
      calls.reset();
      groupCalls.reset();
      locations.reset();
    };

    const openId = () => get().open?.id ?? null;

    onEvent = (event) => {
      switch (event.type) {
        case 'connection':
          set({ connection: event.state });
          // Presence is only known while connected: the core may have changed its answer.
          void activity.refresh();
          void info.refresh();
          // Whether an item waits for the connection.
          void outbox.refresh();
          break;
        case 'outbox':
          void outbox.refresh();
          break;
        case 'session':
          session.applySession(event.session);
          void linking.refresh();
          break;
        case 'account_keys':
          void linking.refresh();
          break;
        case 'core_state':
          void session.actions.reloadAll();
          break;
        case 'preferences':
          void preferences.refresh();
          break;
        case 'conversations':
          void conversations.refresh();
          // A renamed conversation, one left: results name conversations and hold only members'.
          search.refresh();
          break;
        case 'messages':
          if (openId() === event.conversationId) {
            void messages.refresh().then(() => transfers.prune(get().open?.messages ?? []));
            // A pin is a conversation event, and an edit or delete changes what the pinned bar shows.
            void pins.refresh();
          } else messages.forget(event.conversationId);
          void conversations.refresh();
          search.refresh();
          break;
        case 'activity':
          if (openId() === event.conversationId) {
            void activity.refresh();
            // Members' online flags live in the info too.
            if (get().info?.view.kind === 'group') void info.refresh();
          }
          break;
        case 'conversation_info':
          if (openId() === event.conversationId) void info.refresh();
          break;
        case 'transfer':
          transfers.apply(event);
          break;
        case 'settings':
          set({ settingsChange: { conversationIds: event.conversationIds, n: get().settingsChange.n + 1 } });
          void conversations.refresh();
          // A sticker pack installed from another device: the Stickers tab, once read, lists it.
          if (get().stickerPacks !== null) void actions.loadStickerPacks().catch(() => undefined);
          break;
        case 'incoming':
          // For the host's notifications: the 'messages' and 'conversations' events before it refresh the views.
          break;
        case 'open_conversation':
          // A notification was clicked (the host has shown the window).
          if (get().phase === 'signedIn') messages.actions.openConversation(event.conversationId);
          break;
        case 'call':
          void calls.refresh();
          break;
        case 'call_negotiation':
          calls.onNegotiation(event);
          break;
        case 'call_restart_ice':
          calls.onRestartIce(event.callId);
          break;
        case 'group_call':
          void groupCalls.refresh();
          break;
        case 'group_call_negotiation':
          groupCalls.onNegotiation(event);
          break;
        case 'missed_call':
        case 'group_call_started':
          // For the host's notifications: the 'messages' and 'conversations' events before it show the entry.
          break;
      }
    };

    const actions: AppActions = {
      ...session.actions,
      ...conversations.actions,
      ...messages.actions,
      ...activity.actions,
      ...info.actions,
      ...createForward(kit, { refreshConversations: () => conversations.refresh() }).actions,
      ...search.actions,
      ...pins.actions,
      ...createPolls(kit, { change: messages.change, showSent: messages.showSent }).actions,
      ...createGifs(kit, { send: messages.actions.send }).actions,
      ...createStickers(kit, { showSent: messages.showSent }).actions,
      ...locations.actions,
      ...createDisappearing(kit, {
        changed: () => {
          void info.refresh();
          void conversations.refresh();
          void messages.refresh();
        },
      }).actions,
      ...createSettings(kit, { refreshConversations: () => conversations.refresh() }).actions,
      ...createSessions(kit).actions,
      ...outbox.actions,
      ...preferences.actions,
      ...createRecoveryKey(kit).actions,
      ...linking.actions,
      ...createSafetyNumbers(kit).actions,
      ...calls.actions,
      ...groupCalls.actions,
      // Switching conversations during a call shows the conversation, the call as a bar above it.
      openConversation: (id) => {
        if (get().call?.expanded) calls.actions.showCall(false);
        if (get().groupCalls.joined?.expanded) groupCalls.actions.showGroupCall(false);
        messages.actions.openConversation(id);
      },
      // Preferences are the device's, signed in or not (and on the recovery screen): read with everything else.
      reloadAll: () => Promise.all([session.actions.reloadAll(), preferences.refresh()]).then(() => undefined),
      getAttachmentLimits: () => api.getAttachmentLimits(),
      loadAbout: () => api.getAbout(),
      showNotice: (text) => set({ notice: text }),
      dismissNotice: () => set({ notice: null }),
    };

    return {
      phase: 'loading',
      recovery: null,
      diskFull: false,
      settingsFull: false,
      defaults: null,
      session: null,
      connection: 'connecting',
      transport: link.status(),
      conversations: [],
      conversationsLoaded: false,
      conversationsError: null,
      open: null,
      activity: null,
      info: null,
      pins: null,
      settingsChange: { conversationIds: [], n: 0 },
      search: idleSearch,
      notice: null,
      transfers: new Map(),
      preferences: null,
      outbox: null,
      linkState: { kind: 'unknown' },
      call: null,
      groupCalls: NO_GROUP_CALLS,
      stickerPacks: null,
      actions,
    };
  });

  // Calls use the microphone and camera chosen in Settings → Calls; a new choice reaches a call going on.
  const unsubscribeDevices = store.subscribe((state, previous) => {
    if (!state.preferences || state.preferences === previous.preferences) return;
    const { microphoneId, cameraId } = state.preferences;
    for (const engine of Object.values(callEngines)) engine.useDevices({ microphoneId, cameraId });
  });
  const unsubscribeEvents = api.subscribe((event) => onEvent(event));
  const unsubscribeLink = link.onStatus((status, recovered) => {
    store.setState({ transport: status });
    // The host may have restarted (or never answered yet): re-read everything.
    if (status === 'connected' && (recovered || store.getState().phase === 'unreachable')) {
      void store.getState().actions.reloadAll();
    }
  });
  void store.getState().actions.reloadAll();

  return Object.assign(store, {
    dispose() {
      unsubscribeEvents();
      unsubscribeLink();
      unsubscribeDevices();
      dispose();
    },
  });
}
