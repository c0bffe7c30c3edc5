/**
 * Every piece of text a person sees (including accessible names) lives here, so a translation is
 * one new file of the same shape. Components never contain UI string literals.
 *
 * Accessible names marked "(a11y contract)" are relied on by the e2e tests: change them together.
 */

import type { OUTBOX_ERRORS, OutboxItemKind, OutboxItemState } from '../../sync/app-api/outbox-api.js';
import type { TransferError } from '../../sync/app-api/transfer-errors.js';
import type { RefusalReason } from '../../sync/protocol/refusal-reasons.js';
import { plural as pluralIn } from './plural.js';

const plural = (n: number, one: string, other: string): string => pluralIn('en', n, { one, other });

/** A length of time, "30 seconds", "1 week": English has no case, so one set serves after "in" and "to" too. */
const durations = {
  seconds: (n: number) => `${n} ${plural(n, 'second', 'seconds')}`,
  minutes: (n: number) => `${n} ${plural(n, 'minute', 'minutes')}`,
  hours: (n: number) => `${n} ${plural(n, 'hour', 'hours')}`,
  days: (n: number) => `${n} ${plural(n, 'day', 'days')}`,
  weeks: (n: number) => `${n} ${plural(n, 'week', 'weeks')}`,
};

export const en = {
  /** BCP 47 tag for Intl formatters (dates, times, numbers, plurals, lists) in this language. */
  locale: 'en',

  app: {
    title: 'Messenger',
    titleWithUnread: (n: number) => `(${n}) Messenger`,
    loading: 'Loading…',
    unreachable: 'The app is not responding.',
    retry: 'Try again',
    dismiss: 'Dismiss',
    diskFull: 'There is no space left on the disk. Free some space; unsent messages are kept and will be sent.',
  },

  /** The screen shown when this device's copy of the messages could not be opened. */
  recovery: {
    heading: 'Your messages on this device could not be opened',
    damaged:
      'The file that keeps your messages on this device is damaged, so the app can’t read it. This can happen after a crash, a full disk or a disk error.',
    undecryptable:
      'Your messages on this device are encrypted, and the key to read them is no longer available on this device (it may have been removed from the system’s keychain).',
    server: 'Your conversations are kept on the server: start fresh, sign in again, and they will be downloaded.',
    movedTo: 'Nothing was deleted. The unreadable file was moved aside and kept here:',
    recovered: (n: number) =>
      n === 0
        ? 'No unsent messages could be recovered.'
        : n === 1
          ? '1 unsent message was recovered and will be sent.'
          : `${n} unsent messages were recovered and will be sent.`,
    unrecoverable: (n: number) =>
      n === 0
        ? 'Nothing else was waiting to be sent.'
        : n === 1
          ? '1 unsent message or change could not be recovered.'
          : `${n} unsent messages or changes could not be recovered.`,
    unknown: 'How many unsent messages could not be recovered is unknown: nothing in the file could be read.',
    startFresh: 'Start fresh',
    starting: 'Starting fresh…',
  },

  signIn: {
    heading: 'Messenger',
    tagline: 'Your messages, even when you are offline.',
    modes: 'Sign in', // tablist label
    logInTab: 'Log in', // (a11y contract)
    createTab: 'Create account', // (a11y contract)
    server: 'Server', // (a11y contract)
    username: 'Username', // (a11y contract)
    displayName: 'Display name', // (a11y contract)
    password: 'Password', // (a11y contract)
    logIn: 'Log in', // (a11y contract)
    createAccount: 'Create account', // (a11y contract)
    loggingIn: 'Logging in…',
    creatingAccount: 'Creating account…',
    haveAccount: 'Already have an account?',
    noAccount: 'New here?',
    usernameHint: 'Lowercase letters, digits, “.”, “_” and “-”.',
    passwordHint: (min: number) => `At least ${min} characters.`,
    displayNameHint: 'The name other people see.',
    unencryptedServer:
      'This address is not encrypted: your password and messages would cross the network readable by anyone on the way. Use wss:// or https:// unless the server runs on this computer.',
    errors: {
      serverRequired: 'Enter the server address.',
      serverInvalid: 'The server address must start with ws://, wss://, http:// or https://.',
      usernameRequired: 'Enter your username.',
      usernameLength: (min: number, max: number) => `A username has ${min} to ${max} characters.`,
      usernamePattern: 'A username may only contain lowercase letters, digits, “.”, “_” and “-”.',
      displayNameRequired: 'Enter a display name.',
      displayNameTooLong: (max: number) => `A display name has at most ${max} characters.`,
      passwordRequired: 'Enter your password.',
      passwordTooShort: (min: number) => `A password needs at least ${min} characters.`,
      passwordTooLong: (max: number) => `A password has at most ${max} characters.`,
    },
  },

  user: {
    handle: (username: string) => `@${username}`,
  },

  account: {
    signedInAs: (name: string) => `Signed in as ${name}`,
    logOut: 'Log out', // (a11y contract)
  },

  connection: {
    label: 'Connection', // (a11y contract)
    online: 'Online', // (a11y contract: contains "Online")
    connecting: 'Connecting…', // (a11y contract: contains "Connecting")
    offline: 'Offline', // (a11y contract: contains "Offline")
    offlineHint: 'Messages will be sent when you’re back online',
    appUnreachableHint: 'Reconnecting to the app…',
    appOutdatedHint: 'Update the app: this server no longer works with this version.',
    serverOutdatedHint: 'The server is older than this app. Ask whoever runs it to update it.',
  },

  conversations: {
    listLabel: 'Conversations', // (a11y contract)
    newConversation: 'New conversation', // (a11y contract)
    empty: 'No conversations yet',
    emptyHint: 'Start one with someone’s username.',
    unread: (n: number) => `${n} unread`, // (a11y contract)
    unreadVisible: (n: number) => (n > 99 ? '99+' : String(n)),
    ownPreview: (text: string) => `You: ${text}`,
    /** A group's preview: who wrote the newest message. */
    senderPreview: (name: string, text: string) => `${name}: ${text}`,
    /** An unread message mentions you. (a11y contract: contains "Mentioned") */
    mentioned: 'Mentioned',
    mentionedVisible: '@',
    newGroup: 'New group', // (a11y contract)
    notMember: 'You left',
    noMessagesPreview: 'No messages yet',
    deletedPreview: 'This message was deleted',
    /** A poll: its question, after the chart sign the other messengers show. */
    pollPreview: (question: string) => `📊 ${question}`,
    /** A location, by its place name when it has one. */
    locationPreview: (name: string) => `📍 ${name || 'Location'}`,
    stickerPreview: 'Sticker',
    /** A message with no text: what it carries. */
    gifPreview: 'GIF',
    photoPreview: 'Photo',
    voicePreview: 'Voice message',
    loadError: 'Couldn’t load conversations.',
  },

  search: {
    label: 'Search', // (a11y contract: the textbox)
    placeholder: 'Search messages',
    /** The shortcut that focuses the box, shown in it. */
    shortcut: (mac: boolean) => (mac ? '⌘K' : 'Ctrl+K'),
    clear: 'Clear search',
    resultsLabel: 'Search results', // (a11y contract)
    noResults: 'No messages found', // (a11y contract)
    found: (n: number) => `${n} ${plural(n, 'message', 'messages')} found`,
    searching: 'Searching…',
    /** A result's sender when it is you. */
    you: 'You',
    sender: (name: string) => `${name}: `,
    failed: 'Couldn’t search.',
    /** A result whose message has gone since it was found (deleted, or the conversation left). */
    gone: 'That message is no longer here.',
  },

  newConversation: {
    title: 'New conversation', // (a11y contract)
    description: 'Enter the username of the person you want to write to.',
    username: 'Username', // (a11y contract)
    start: 'Start', // (a11y contract)
    starting: 'Starting…',
    cancel: 'Cancel',
    required: 'Enter a username.',
  },

  newGroup: {
    title: 'New group', // (a11y contract: dialog name)
    description: 'Name the group and add the people you want in it.',
    name: 'Group name', // (a11y contract)
    addPeople: 'Add people', // (a11y contract)
    addPeopleHint: 'Their username',
    add: 'Add', // (a11y contract)
    adding: 'Adding…',
    members: 'Members', // (a11y contract)
    noMembers: 'Nobody added yet.',
    remove: (username: string) => `Remove ${username}`, // (a11y contract)
    create: 'Create', // (a11y contract)
    creating: 'Creating…',
    cancel: 'Cancel',
    nameRequired: 'Enter a name for the group.',
    nameTooLong: (max: number) => `A group name has at most ${max} characters.`,
    usernameRequired: 'Enter a username to add.',
    alreadyAdded: (username: string) => `${username} is already in the list.`,
    yourself: 'You are in the group already.',
    unknownOffline: (username: string) =>
      `You’re offline and “${username}” isn’t someone you know yet. Add people you have talked to, or try again online.`,
  },

  group: {
    /** The header's line under the name. */
    members: (total: number, online: number) => `${total} ${plural(total, 'member', 'members')}, ${online} online`,
    memberCount: (total: number) => `${total} ${plural(total, 'member', 'members')}`,
    info: 'Group info', // (a11y contract: the header button and the dialog's name)
    membersList: 'Members', // (a11y contract)
    owner: 'Owner', // (a11y contract)
    admin: 'Admin', // (a11y contract)
    you: '(you)',
    pending: 'Waiting to be sent',
    remove: (name: string) => `Remove ${name}`, // (a11y contract)
    makeAdmin: (name: string) => `Make ${name} an admin`, // (a11y contract)
    unmakeAdmin: (name: string) => `Remove ${name} as admin`, // (a11y contract)
    block: (name: string) => `Block ${name}`, // (a11y contract)
    unblock: (name: string) => `Unblock ${name}`, // (a11y contract)
    addMembers: 'Add members', // (a11y contract)
    name: 'Group name', // (a11y contract)
    save: 'Save', // (a11y contract)
    leave: 'Leave group', // (a11y contract: button and dialog name)
    leaveDescription: 'You will keep the messages you have, but you will not receive new ones or be able to write here.',
    leaveConfirm: 'Leave', // (a11y contract)
    cancel: 'Cancel',
    close: 'Close',
    notMember: 'You are no longer a member of this group', // (a11y contract)
    emptyHint: (name: string) => `This is the beginning of “${name}”.`,
    failedChanges: 'Group changes not saved',
    failed: {
      create: (error: string) => `The group couldn’t be created: ${error}`,
      add_members: (error: string) => `Adding members failed: ${error}`,
      remove_member: (error: string) => `Removing a member failed: ${error}`,
      leave: (error: string) => `Leaving failed: ${error}`,
      rename: (error: string) => `Renaming failed: ${error}`,
      set_role: (error: string) => `Changing a role failed: ${error}`,
    },
    retry: 'Retry', // (a11y contract)
    dismiss: 'Dismiss', // (a11y contract)
  },

  /** Membership notices between messages. Always display names. (a11y contract) */
  notices: {
    created: (actor: string, name: string) => `${actor} created the group “${name}”`,
    /** The name was not given in the clear: it came sealed, as the group's first content. */
    createdUnnamed: (actor: string) => `${actor} created the group`,
    added: (actor: string, names: string) => `${actor} added ${names}`,
    removed: (actor: string, names: string) => `${actor} removed ${names}`,
    left: (actor: string) => `${actor} left`,
    newOwner: (name: string) => `${name} is now the owner`,
    renamed: (actor: string, name: string) => `${actor} renamed the group to ${name}`,
    madeAdmin: (actor: string, name: string) => `${actor} made ${name} an admin`,
    /** `actor` is the owner who did it; the notice names who it happened to. */
    unmadeAdmin: (_actor: string, name: string) => `${name} is no longer an admin`,
    /** Straight apostrophe: the issue gives these words. */
    safetyNumberChanged: (name: string) => `${name}'s safety number has changed`,
    /** What someone sent that this device could not decrypt, with who sent it and when. */
    undecryptable: (name: string, time: string) => `This message could not be decrypted (${name}, ${time})`,
    /** The disappearing-message timer set (`duration` as durationsAccusative words it) or turned off. */
    disappearingSet: (actor: string, duration: string) => `${actor} set disappearing messages to ${duration}`,
    disappearingOff: (actor: string) => `${actor} turned off disappearing messages`,
    /** A group's owner or an admin chose who may change the timer. */
    disappearingEveryone: (actor: string) => `${actor} let all members change disappearing messages`,
    disappearingAdmins: (actor: string) => `${actor} let only admins change disappearing messages`,
  },

  conversation: {
    noneSelected: 'Select a conversation',
    noneSelectedHint: 'Or start a new one to say hello.',
    messagesLabel: 'Messages', // (a11y contract)
    empty: 'Say hello',
    emptyHint: (name: string) => `This is the beginning of your conversation with ${name}.`,
    unreadDivider: 'Unread messages', // (a11y contract: separator name)
    jumpToLatest: 'Jump to latest', // (a11y contract)
    loading: 'Loading messages…',
    loadError: 'Couldn’t load messages.',
    today: 'Today',
    yesterday: 'Yesterday',
  },

  message: {
    statusSending: 'Sending', // (a11y contract)
    statusSent: 'Sent', // (a11y contract)
    statusDelivered: 'Delivered', // (a11y contract)
    statusRead: 'Read', // (a11y contract)
    statusFailed: 'Failed', // (a11y contract)
    failedFallback: 'Not sent.',
    retry: 'Retry', // (a11y contract)
    discard: 'Delete',
    actionFailed: 'That didn’t work. Please try again.',
    deleted: 'This message was deleted', // (a11y contract)
    edited: 'edited', // (a11y contract)
    editedHint: 'Show edit history',
    /** Your @username in a message from someone else. */
    mentionLabel: 'Mentions you',
  },

  messageInfo: {
    title: 'Message info', // (a11y contract: dialog name)
    readBy: 'Read by', // (a11y contract: list name)
    deliveredTo: 'Delivered to', // (a11y contract: list name)
    nobody: 'Nobody yet',
    loading: 'Loading…',
    error: (reason: string) => `Couldn’t load the message info: ${reason}`,
    close: 'Close',
  },

  /** Hover / focus actions on a message, and its right-click menu. */
  actions: {
    label: 'Message actions',
    menuLabel: 'Message',
    reply: 'Reply', // (a11y contract)
    react: 'React', // (a11y contract)
    edit: 'Edit', // (a11y contract)
    delete: 'Delete', // (a11y contract)
    info: 'Info', // (a11y contract)
    forward: 'Forward', // (a11y contract)
    pin: 'Pin', // (a11y contract)
    unpin: 'Unpin', // (a11y contract)
  },

  forward: {
    title: 'Forward message', // (a11y contract: dialog name)
    description: 'Choose where to send a copy.',
    listLabel: 'Conversations to forward to',
    /** A forwarded message's label: the original author. (a11y contract: "Forwarded from <name>") */
    from: (name: string) => `Forwarded from ${name}`,
    send: 'Send', // (a11y contract)
    sending: 'Sending…',
    cancel: 'Cancel',
    filter: 'Find a conversation',
    loading: 'Loading…',
    loadFailed: (reason: string) => `Couldn’t load your conversations: ${reason}`,
    none: 'No conversations to forward to.',
    noMatch: 'No conversation has that name.',
    chooseOne: 'Choose at least one conversation.',
    failed: (reason: string) => `Couldn’t forward: ${reason}`,
  },

  reactions: {
    pickerLabel: 'Reactions', // (a11y contract)
    barLabel: 'Reactions',
    /** A reaction under a message: the emoji, a space, the count. (a11y contract) */
    chip: (emoji: string, count: number) => `${emoji} ${count}`,
    chipHintAdd: (emoji: string) => `React with ${emoji}`,
    chipHintRemove: (emoji: string) => `Remove your ${emoji}`,
    more: 'More emoji', // (a11y contract)
  },

  emoji: {
    dialogLabel: 'Emoji', // (a11y contract)
    search: 'Search emoji', // (a11y contract)
    searchPlaceholder: 'Search emoji…',
    recent: 'Recently used',
    loading: 'Loading emoji…',
    loadFailed: 'The emoji could not be loaded.',
    empty: (search: string) => `No emoji found for “${search}”.`,
    close: 'Close',
    /** The composer's button that opens the picker (not "Emoji": that is the dialog). (a11y contract) */
    composerButton: 'Emoji picker',
  },

  picker: {
    /** The tabs of the composer's picker. (a11y contract) */
    tabs: 'Emoji, stickers and GIFs',
    emojiTab: 'Emoji', // (a11y contract)
    stickersTab: 'Stickers', // (a11y contract)
    gifsTab: 'GIFs', // (a11y contract)
  },

  stickers: {
    create: 'Create sticker pack', // (a11y contract)
    /** A sticker's name when it has no emoji. (a11y contract) */
    sticker: 'Sticker',
    none: 'No sticker packs yet. Create one, or add one from a sticker someone sent you.',
    loading: 'Loading sticker packs…',
    add: 'Add sticker pack', // (a11y contract)
    adding: 'Adding sticker pack…',
    added: 'Sticker pack added',
    notShown: 'This sticker could not be shown.',
    newTitle: 'Create sticker pack',
    name: 'Pack name', // (a11y contract)
    pictures: 'Pictures (PNG, WebP or GIF, up to 200)',
    chosen: (n: number) => (n === 1 ? '1 picture chosen' : `${n} pictures chosen`),
    emojiFor: (file: string) => `Emoji for ${file}`, // (a11y contract)
    emojiPlaceholder: 'Emoji (optional)',
    notAnEmoji: 'Each emoji must be a single emoji, or left empty.',
    creating: 'Creating…',
    createButton: 'Create',
    cancel: 'Cancel',
    /** Why a pack could not be made, or added, by the core's code. */
    refusals: {
      sticker_not_an_image: 'One of the pictures is not a PNG, WebP or GIF image.',
      sticker_too_large: 'One of the pictures is too large (at most 16 MB).',
      sticker_too_many_pixels: 'One of the pictures has too many pixels.',
      sticker_pack_wrong_key: 'This sticker pack could not be opened: its key does not fit.',
      sticker_pack_malformed: 'This sticker pack is damaged and could not be read.',
      sticker_pack_too_large: 'This sticker pack is too large.',
      sticker_not_webp: 'This sticker pack holds something that is not a sticker.',
      other: 'That did not work. Try again.',
    },
  },

  gifs: {
    search: 'Search GIFs', // (a11y contract)
    searchPlaceholder: 'Search GIFs…',
    /** The list of a search's GIFs (each a button named by its title). (a11y contract) */
    results: 'GIF results',
    untitled: 'GIF',
    prompt: 'Type a few words to find a GIF.',
    searching: 'Searching…',
    empty: (query: string) => `No GIFs found for “${query}”.`,
    more: 'More GIFs',
    notConfigured: 'GIFs aren’t set up on this server.',
    offline: 'You’re offline. Finding GIFs needs a connection.',
    rateLimited: 'That was a lot of searching. Try again in a minute.',
    failed: 'GIFs couldn’t be loaded.',
    retry: 'Try again',
    poweredByGiphy: 'Powered by GIPHY',
    /** The mark on a GIF in a message. */
    badge: 'GIF',
    play: 'Play GIF', // (a11y contract)
    pause: 'Pause GIF', // (a11y contract)
  },

  failedChange: {
    edit: (error: string) => `Edit not saved: ${error}`,
    delete: (error: string) => `Delete failed: ${error}`,
    reaction: (error: string) => `Reaction not saved: ${error}`,
    pin: (error: string) => `Pin not saved: ${error}`,
    retry: 'Retry',
    retryEdit: 'Retry edit', // (a11y contract)
    retryDelete: 'Retry delete', // (a11y contract)
    retryReaction: 'Retry reaction', // (a11y contract)
    retryPin: 'Retry pin',
    dismiss: 'Dismiss', // (a11y contract)
    fallback: 'the server refused it',
  },

  quote: {
    notLoaded: 'Original message not loaded',
    deleted: 'This message was deleted',
    disappeared: 'This message has disappeared', // (a11y contract)
    unknownSender: 'Unknown',
    /** The quote button's accessible name: "Alice Liddell: Lunch at noon?". (a11y contract) */
    label: (author: string, text: string) => `${author}: ${text}`,
    jumpHint: 'Show the original message',
    notFound: 'The original message isn’t available.',
  },

  reply: {
    replyingTo: (name: string) => `Replying to ${name}`, // (a11y contract)
    cancel: 'Cancel reply', // (a11y contract)
  },

  edit: {
    editing: 'Editing message', // (a11y contract)
    cancel: 'Cancel edit', // (a11y contract)
    save: 'Save', // the send button while editing
    failed: (reason: string) => `Couldn’t save the edit: ${reason}`,
  },

  deleteDialog: {
    title: 'Delete message?', // (a11y contract: dialog name)
    description: 'It will be replaced by “This message was deleted” for everyone in this conversation.',
    unsentDescription: 'It hasn’t been sent yet, so nobody will see it.',
    confirm: 'Delete for everyone', // (a11y contract)
    cancel: 'Cancel', // (a11y contract)
  },

  history: {
    title: 'Edit history', // (a11y contract)
    loading: 'Loading…',
    empty: 'No earlier versions.',
    error: (reason: string) => `Couldn’t load the history: ${reason}`,
    original: 'Original',
    current: 'Current',
    close: 'Close',
  },

  pins: {
    region: 'Pinned messages', // (a11y contract)
    /** Which of several pins the bar shows: "2 of 3". */
    position: (index: number, count: number) => `${index} of ${count}`,
    /** The bar's button: jumps to the pinned message shown (then shows the next older one). */
    show: (sender: string, text: string) => `Show pinned message from ${sender}: ${text}`,
    unpin: 'Unpin',
    photo: 'Photo',
    voice: 'Voice message',
  },

  conversationMenu: {
    button: 'Conversation menu', // (a11y contract)
    label: 'Conversation',
    archive: 'Archive', // (a11y contract)
    unarchive: 'Unarchive', // (a11y contract)
    mute: 'Mute', // (a11y contract)
    unmute: 'Unmute', // (a11y contract)
    block: 'Block', // (a11y contract)
    unblock: 'Unblock', // (a11y contract)
    verifySafetyNumber: 'Verify safety number', // (a11y contract)
    disappearing: 'Disappearing messages', // (a11y contract: menuitem)
    failed: (reason: string) => `Couldn’t change that: ${reason}`,
  },

  /** Disappearing messages (issue 33): the conversation's dialog, the header's icon, a message's timer. */
  disappearing: {
    title: 'Disappearing messages', // (a11y contract: dialog name)
    description: 'New messages sent and received in this conversation will disappear after they have been seen.',
    timers: 'Timer', // (a11y contract: radio group)
    off: 'Off', // (a11y contract: radio; the others are named by `durations`)
    onlyAdmins: 'Only admins can change this.', // (a11y contract)
    everyone: 'Let all members change this', // (a11y contract: checkbox)
    save: 'Save', // (a11y contract)
    cancel: 'Cancel', // (a11y contract)
    /** The header's icon: "Disappearing messages: 1 week". (a11y contract) */
    header: (duration: string) => `Disappearing messages: ${duration}`,
    /** The icon in a message's time line. (a11y contract) */
    message: 'Disappearing message',
    /** Its tooltip, `duration` as durationsAccusative words it: "Disappears in 25 seconds". */
    disappearsIn: (duration: string) => `Disappears in ${duration}`,
    /** Before its timer starts: one received counts from when it is read, one of yours from when it is sent. */
    afterRead: (duration: string) => `Disappears ${duration} after it is read`,
    afterSent: (duration: string) => `Disappears ${duration} after it is sent`,
  },

  /** A length of time, "1 week" (a radio's name, the header's icon). (a11y contract) */
  durations,
  /** The same after a preposition ("in 1 week", "to 1 week"): Russian and Ukrainian decline it. */
  durationsAccusative: durations,

  requests: {
    open: 'Message requests', // (a11y contract: button; the count is its description)
    count: (n: number) => (n === 1 ? '1 waiting' : `${n} waiting`),
    listLabel: 'Message requests', // (a11y contract: list)
    back: 'Back', // (a11y contract)
    heading: 'Message requests',
    empty: 'No message requests',
    fromPerson: (name: string) =>
      `${name} isn’t one of your contacts. They won’t know you’ve seen their messages until you accept.`,
    addedBy: (name: string) =>
      `${name}, who isn’t one of your contacts, added you to this group. Nobody here will know you’ve seen it until you accept.`,
    accept: 'Accept', // (a11y contract)
    delete: 'Delete', // (a11y contract)
    block: 'Block', // (a11y contract)
    actions: 'Answer the request',
    failed: (reason: string) => `Couldn’t answer the request: ${reason}`,
  },

  archive: {
    open: 'Archived chats', // (a11y contract)
    listLabel: 'Archived', // (a11y contract)
    back: 'Back', // (a11y contract)
    heading: 'Archived chats',
    empty: 'No archived chats',
    emptyHint: 'Archive a conversation from its menu to tidy it away here.',
  },

  muted: {
    /** In a muted conversation's list entry. (a11y contract: contains "Muted") */
    label: 'Muted',
    unread: (n: number) => `${n} unread, muted`,
  },

  draft: {
    /** The list entry of a conversation with a draft. (a11y contract: contains "Draft:") */
    preview: (text: string) => `Draft: ${text}`,
    prefix: 'Draft:',
  },

  blocking: {
    /** Replaces the composer of a direct conversation with someone you blocked. */
    youBlocked: 'You blocked this person.',
    unblock: 'Unblock', // (a11y contract)
    open: 'Blocked people', // (a11y contract)
    title: 'Blocked people', // (a11y contract: dialog name)
    description:
      'They can’t message you, add you to groups or see when you are online. In groups you share, you won’t see what they write.',
    listLabel: 'Blocked people',
    none: 'You haven’t blocked anyone.',
    loading: 'Loading…',
    loadFailed: (reason: string) => `Couldn’t load the people you blocked: ${reason}`,
    failed: (reason: string) => `Couldn’t change that: ${reason}`,
    close: 'Close',
  },

  settings: {
    open: 'Settings', // (a11y contract)
    title: 'Settings', // (a11y contract: dialog name)
    close: 'Close',
    privacy: {
      heading: 'Privacy', // (a11y contract: section)
      /** Straight apostrophe: the issue names the control so. */
      showOnline: "Show when I'm online", // (a11y contract: combobox)
      everyone: 'Everyone in my conversations', // (a11y contract: option)
      nobody: 'Nobody', // (a11y contract: option)
      showOnlineHint:
        'Only people you’ve both written to in a conversation see when you’re online or were last seen. If you choose Nobody, you won’t see theirs either.',
      /** Straight apostrophe, as the issue names the control. */
      groupAdds: 'Who can add me to groups', // (a11y contract: radiogroup)
      groupAddsEveryone: 'Everyone', // (a11y contract: radio)
      groupAddsContacts: 'My contacts', // (a11y contract: radio)
      groupAddsHint: 'Your contacts are the people you’ve started a conversation with, written to, or accepted.',
      waitingStatus: 'Privacy changes', // (a11y contract: status)
      waiting: 'Your change takes effect for others once it reaches the server, when this device is online.',
      loading: 'Loading…',
      loadFailed: (reason: string) => `Couldn’t load your privacy settings: ${reason}`,
      failed: (reason: string) => `Couldn’t change that: ${reason}`,
    },
    sessions: {
      heading: 'Sessions', // (a11y contract: section)
      list: 'Sessions', // (a11y contract: list)
      unknownDevice: 'Unknown device',
      thisDevice: 'This device',
      lastUsed: (when: string) => `Last used ${when}`,
      end: 'End session', // (a11y contract: button in each other session's listitem)
      endOthers: 'End all other sessions', // (a11y contract)
      ended: (n: number) => (n === 1 ? '1 other session ended.' : `${n} other sessions ended.`),
      loading: 'Loading…',
      loadFailed: (reason: string) => `Couldn’t load your sessions: ${reason}`,
      failed: (reason: string) => `Couldn’t end that: ${reason}`,
    },
    password: {
      heading: 'Password', // (a11y contract: section)
      current: 'Current password', // (a11y contract: textbox)
      next: 'New password', // (a11y contract: textbox)
      change: 'Change password', // (a11y contract: button)
      changed: (n: number) =>
        n === 0 ? 'Password changed.' : `Password changed. ${n} other session${n === 1 ? '' : 's'} ended.`,
      failed: (reason: string) => `Couldn’t change your password: ${reason}`,
    },
  },

  linkPreview: {
    region: 'Link preview', // (a11y contract)
    remove: 'Remove preview', // (a11y contract)
    loading: 'Loading preview…',
  },

  typing: {
    label: 'Typing', // (a11y contract)
    /** First names in groups, display names in direct conversations. (a11y contract: "Alice is typing", "Alice and Bob are typing", "3 people are typing") */
    one: (name: string) => `${name} is typing…`,
    two: (first: string, second: string) => `${first} and ${second} are typing…`,
    many: (n: number) => `${n} people are typing…`,
  },

  presence: {
    online: 'online', // (a11y contract)
    justNow: 'last seen just now',
    /** `ago`: a relative time from Intl.RelativeTimeFormat, e.g. "5 minutes ago". */
    ago: (ago: string) => `last seen ${ago}`,
    today: (time: string) => `last seen today at ${time}`,
    yesterday: (time: string) => `last seen yesterday at ${time}`,
    onDate: (date: string) => `last seen ${date}`,
  },

  composer: {
    label: 'Message', // (a11y contract)
    mentions: 'Members to mention', // the @ suggestions listbox
    mentionOption: (displayName: string, username: string) => `${displayName} @${username}`,
    placeholder: 'Message',
    send: 'Send', // (a11y contract)
    hint: 'Enter to send, Shift+Enter for a new line',
    charsLeft: (n: number) => `${n} ${plural(n, 'character', 'characters')} left`,
    tooLong: (over: number, max: number) =>
      `Too long by ${over} ${plural(over, 'character', 'characters')} (the limit is ${max.toLocaleString('en')}).`,
    sendFailed: (reason: string) => `Couldn’t send: ${reason}`,
    hintEditing: 'Enter to save, Escape to cancel',
    hintReplying: 'Enter to send the reply, Escape to cancel it',
    sendsWhenReady: 'Sends as soon as the files are ready',
  },

  attachments: {
    attach: 'Attach', // (a11y contract)
    listLabel: 'Attachments', // (a11y contract: the list before sending)
    remove: (name: string) => `Remove ${name}`, // (a11y contract)
    /** (a11y contract: an alert containing the file's name) */
    tooLarge: (name: string, limit: string) => `“${name}” is too large to send: the limit is ${limit}.`,
    tooMany: (max: number) => `A message can carry at most ${max} files.`,
    importFailed: (name: string, reason: string) => `Couldn’t attach “${name}”: ${reason}`,
    preparing: 'Preparing…',
    dropHint: 'Drop files to attach them',
    /** The name of an image pasted from the clipboard, before its extension. */
    pastedImage: 'Pasted image',
    save: (name: string) => `Save ${name}`, // (a11y contract)
    viewer: 'Image viewer', // (a11y contract: dialog name)
    viewerSave: 'Save', // (a11y contract)
    viewerClose: 'Close', // (a11y contract)
    open: (name: string) => `Open ${name}`,
    uploading: (name: string) => `Uploading ${name}`, // (a11y contract: progressbar)
    downloading: (name: string) => `Downloading ${name}`, // (a11y contract: progressbar)
    waiting: 'Waiting…',
    uploadFailed: (name: string, reason: string) => `“${name}” wasn’t uploaded: ${reason}`,
    downloadFailed: (name: string, reason: string) => `“${name}” couldn’t be downloaded: ${reason}`,
    retry: 'Retry', // (a11y contract)
    /** Why a file could not be put into this profile (the host's answer). */
    importErrors: {
      file_too_large: 'It is too large.',
      empty_file: 'The file is empty.',
      disk_full: 'The disk is full.',
      file_unreadable: 'The file couldn’t be read.',
      other: 'Something went wrong.',
    },
    bytes: (n: number) => `${n} ${plural(n, 'byte', 'bytes')}`,
    kilobytes: (n: string) => `${n} KB`,
    megabytes: (n: string) => `${n} MB`,
    gigabytes: (n: string) => `${n} GB`,
  },

  voice: {
    record: 'Record voice message', // (a11y contract)
    cancel: 'Cancel recording', // (a11y contract)
    send: 'Send voice message', // (a11y contract)
    recording: 'Recording',
    elapsed: 'Recording time',
    play: 'Play voice message', // (a11y contract)
    pause: 'Pause voice message',
    duration: 'Duration',
    /** The recording's file name (the extension is added for its format). */
    fileName: 'Voice message',
    unavailable: (reason: string) => `Couldn’t record: ${reason}`,
    micDenied: 'the microphone isn’t available.',
    tooShort: 'the recording is empty.',
  },

  /** The composer's small menu beside "Attach": the other things a message can carry (issue 33). */
  attachMenu: {
    button: 'Attach menu', // (a11y contract)
    label: 'Attach', // the menu's name
    file: 'File', // (a11y contract: menuitem)
    poll: 'Poll', // (a11y contract: menuitem)
    location: 'Location', // (a11y contract: menuitem)
  },

  /** The "Location" dialog (Attach menu → "Location"): the current position, or coordinates typed. */
  newLocation: {
    title: 'Location', // (a11y contract: dialog name)
    current: 'Send your current location', // (a11y contract)
    locating: 'Finding your location…',
    orTyped: 'Or type the coordinates:',
    latitude: 'Latitude', // (a11y contract: textbox)
    longitude: 'Longitude', // (a11y contract: textbox)
    name: 'Place name (optional)', // (a11y contract: textbox)
    badPoint: 'Latitude is a number from -90 to 90, longitude from -180 to 180.',
    send: 'Send', // (a11y contract)
    sending: 'Sending…',
    cancel: 'Cancel', // (a11y contract)
    /** Why the current location is not known: said in words, with the way on. */
    unavailable: 'Your current location isn’t available on this device. Type the coordinates instead.',
    denied: 'The app isn’t allowed to know your location. Type the coordinates instead.',
    notFound: 'Your current location couldn’t be found. Type the coordinates instead.',
    failed: (reason: string) => `Couldn’t send the location: ${reason}`,
    /** "Share live location" and for how long (a group of radio buttons). */
    live: 'Share live location', // (a11y contract: button)
    liveFor: 'Share for', // the radio group's name
    durations: ['15 minutes', '1 hour', '8 hours'], // (a11y contract: radios)
    makingMap: 'Making the map…',
    sentWithoutMap: (reason: string) => `The location was sent without a map: ${reason}`,
    close: 'Close', // (a11y contract)
    chooseOnMap: 'Choose on map', // (a11y contract)
    mapHint: 'Click the map to set the latitude and longitude.',
  },

  /** A location in a message: its point, place name and the way to a map. */
  locations: {
    label: 'Location', // (a11y contract: the card's group)
    open: 'Open in OpenStreetMap', // (a11y contract: link)
    /** A live location still moving: until when (the time as the messages show it). */
    liveUntil: (time: string) => `Live until ${time}`, // (a11y contract: status)
    liveEnded: 'Live location ended',
    stop: 'Stop sharing', // (a11y contract)
    stopFailed: (reason: string) => `Couldn’t stop sharing: ${reason}`,
    /** The map snapshot sent with it, named by its place. */
    mapOf: (place: string) => `Map of ${place}`, // (a11y contract: img)
    map: 'Map', // (a11y contract: img, and the interactive map's dialog)
    attribution: '© OpenStreetMap contributors',
    openMap: 'Open map', // (a11y contract)
    close: 'Close', // (a11y contract)
    noWebGl: 'This device can’t show an interactive map (WebGL isn’t available). The coordinates still work.',
  },

  newPoll: {
    title: 'New poll', // (a11y contract: dialog name)
    question: 'Question', // (a11y contract: textbox)
    options: 'Options',
    /** Each option's textbox, by its place: "Option 1". (a11y contract) */
    option: (n: number) => `Option ${n}`,
    addOption: 'Add option', // (a11y contract)
    removeOption: (n: number) => `Remove option ${n}`, // (a11y contract)
    multiple: 'Allow multiple answers', // (a11y contract: checkbox)
    duplicate: 'Each option must be different.',
    send: 'Send', // (a11y contract)
    sending: 'Sending…',
    cancel: 'Cancel', // (a11y contract)
    failed: (reason: string) => `Couldn’t send the poll: ${reason}`,
  },

  /** A poll in a message: its options to vote for, the counts, who voted, its end. */
  polls: {
    label: 'Poll', // (a11y contract: the group of options)
    /** An option's count, its description. */
    votes: (n: number) => `${n} ${plural(n, 'vote', 'votes')}`,
    voted: (n: number) => (n === 0 ? 'No votes yet' : `${n} ${plural(n, 'person', 'people')} voted`),
    ended: 'Poll ended',
    /** This person's latest vote, or the end, has not reached the server yet. */
    pending: 'Not sent yet',
    viewVotes: 'View votes', // (a11y contract)
    retract: 'Retract vote', // (a11y contract)
    end: 'End poll', // (a11y contract)
    votesTitle: 'Votes', // (a11y contract: dialog name)
    you: 'You',
    noVoters: 'Nobody chose this',
    close: 'Close',
    endTitle: 'End poll?', // (a11y contract: dialog name)
    endDescription: 'Nobody will be able to vote any more, and the results will be final.',
    endConfirm: 'End poll', // (a11y contract)
    endCancel: 'Cancel',
  },

  /** The outbox inspector (Settings → "Outbox"): everything waiting to be sent. */
  outbox: {
    open: 'Outbox', // (a11y contract)
    title: 'Outbox', // (a11y contract)
    listLabel: 'Queued', // (a11y contract)
    empty: 'Nothing is waiting to be sent', // (a11y contract)
    loading: 'Loading…',
    loadFailed: (reason: string) => `Couldn’t read the outbox: ${reason}`,
    description: 'Everything waiting to be sent, per conversation in the order it will go.',
    retry: 'Retry now', // (a11y contract)
    discard: 'Discard', // (a11y contract)
    close: 'Close',
    retryFailed: (reason: string) => `Couldn’t retry it: ${reason}`,
    discardFailed: (reason: string) => `Couldn’t discard it: ${reason}`,
    notShown: (n: number) => plural(n, '1 more item is not shown.', `${n} more items are not shown.`),
    /** What an item does (OUTBOX_ITEM_KINDS). */
    kinds: {
      message: 'Message',
      forward: 'Forwarded message',
      edit: 'Edit',
      delete: 'Delete',
      add_reaction: 'Reaction',
      remove_reaction: 'Reaction removed',
      pin: 'Pin',
      unpin: 'Unpin',
      create_conversation: 'New conversation',
      add_members: 'Add people',
      remove_member: 'Remove from group',
      leave_group: 'Leave group',
      rename_group: 'Rename group',
      set_role: 'Change role',
      call: 'Call',
      vote: 'Vote',
      end_poll: 'End of poll',
      move_location: 'Live location update',
      stop_location: 'End of live location',
      set_disappearing_timer: 'Disappearing messages timer',
      set_disappearing_policy: 'Who may change disappearing messages',
    } satisfies Record<OutboxItemKind, string>,
    /** Where an item stands (OUTBOX_ITEM_STATES). */
    states: {
      queued: 'Queued',
      sending: 'Sending…',
      waiting_for_connection: 'Waiting for a connection',
      waiting_for_upload: 'Waiting for its files to upload',
      waiting_to_retry: 'Waiting to retry',
      failed: 'Refused by the server',
    } satisfies Record<OutboxItemState, string>,
    attempts: (n: number) => plural(n, '1 attempt', `${n} attempts`),
    /** Why the last attempt failed, when it was not a refusal with a reason (those use `refusals`). */
    errors: {
      disconnected: 'The connection was lost.',
      timeout: 'The server didn’t answer in time.',
      rate_limited: 'The server asked to wait.',
      server_error: 'The server failed for a moment.',
      refused: 'The server refused it.',
      unknown: 'The last attempt didn’t get through.',
    } satisfies Record<(typeof OUTBOX_ERRORS)[number], string>,
    lastError: (words: string) => `Last error: ${words}`,
    /** `when` is a relative time from Intl.RelativeTimeFormat ("in 5 seconds"). */
    nextRetry: (when: string) => `Next try ${when}`,
    files: (names: string) => `Files: ${names}`,
    people: (names: string) => `People: ${names}`,
  },

  /** A transfer that failed without a refusal from the server (TRANSFER_ERRORS). */
  transferErrors: {
    checksum_mismatch: 'The file arrived damaged.',
    disk_full: 'The disk is full.',
    file_unreadable: 'The file in this app’s storage is missing or can’t be read.',
    not_available: 'The server no longer has it, or won’t give it to you.',
  } satisfies Record<TransferError, string>,

  errors: {
    invalid_argument: 'Some of the information isn’t valid.',
    not_signed_in: 'You are not signed in.',
    offline: 'You’re offline. Try again when you’re back online.',
    not_found: 'Not found.',
    conflict: 'That already exists.',
    unauthorized: 'Wrong username or password.',
    refused: 'The server refused the request.',
    rate_limited: 'The server is busy, or this was tried too often. Wait a moment and try again.',
    too_many_devices: 'This account is signed in on too many devices. End a session on one of them, then try again.',
    internal: 'Something went wrong.',
    disk_full: 'There is no space left on the disk. Free some space; unsent messages are kept and will be sent.',
    noSuchUser: (username: string) => `There is no user called “${username}”.`,
    usernameTaken: 'That username is already taken.',
    startOffline: 'You’re offline. Starting a conversation needs a connection to the server.',
    signInOffline: 'Couldn’t reach the server. Check the address and your connection.',
    transport: 'Lost contact with the app. Please try again.',
    /** A refusal whose code this version has no words for: the code is a detail for a bug report. */
    redirectRefused:
      'The server answered with a redirect to another address. The app doesn’t follow it with your password: check the server’s address.',
    unknownRefusal: (code: string) => `The server refused it (${code}).`,
    /** A vote on a poll whose end this device knows of (core-refusals.ts). */
    pollEnded: 'The poll has ended: votes no longer count.',
  },

  /** This device's preferences: Settings → General (sync/app-api/preferences.ts). */
  preferences: {
    heading: 'General', // (a11y contract: section)
    workOffline: 'Work offline', // (a11y contract: switch)
    workOfflineHint: 'Stays disconnected until you switch this off. Messages you send wait in the outbox.',
    /** The connection status's hint while Work offline is on (the status itself stays "Offline"). */
    workingOffline: 'Work offline is on (Settings)',
    language: 'Language', // (a11y contract: combobox)
    /** Follows the system's language; not a language's name, which the other options are. */
    languageSystem: 'System language', // (a11y contract: option)
    /**
     * Each language by its own name, whatever the interface language (a11y contract: options):
     * every language file keeps these exactly as they are here.
     */
    languageNames: { en: 'English', ru: 'Русский', uk: 'Українська' },
    theme: 'Theme', // (a11y contract: combobox)
    themeNames: { system: 'System', light: 'Light', dark: 'Dark' }, // (a11y contract: options)
    notificationPreviews: 'Show message text in notifications', // (a11y contract: switch)
    notificationPreviewsHint: 'When this is off, a notification says only who wrote.',
    loading: 'Loading…',
    failed: (reason: string) => `Couldn’t change that: ${reason}`,
  },

  /** Settings → "Maps": the tile server the map snapshots and the interactive map use. */
  mapSettings: {
    heading: 'Maps', // (a11y contract: section)
    tileUrl: 'Tile server URL', // (a11y contract: textbox)
    hint: 'A template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png. Locations you send then carry a map, and “Open map” shows one. Leave it empty for none.',
    save: 'Save', // (a11y contract)
    saved: 'Saved. The interactive map uses it once the window is reloaded.',
    problems: {
      not_a_url: 'That isn’t a URL.',
      not_https: 'The tile server must use https.',
      missing_placeholders: 'The URL must contain {z}, {x} and {y}.',
    },
  },

  /** Why a location's map snapshot could not be made (the location is sent without it). */
  mapSnapshotErrors: {
    map_not_configured: 'no tile server is set in Settings → Maps.',
    map_unreachable: 'the tile server couldn’t be reached.',
    map_tile_refused: 'the tile server refused the tiles.',
    map_tile_not_image: 'the tile server didn’t send map tiles.',
    map_tile_too_large: 'the tile server sent tiles that are too large.',
    map_unavailable: 'maps can’t be made on this device.',
  },

  /** Settings → Calls: the microphone, camera and speaker calls use on this device. */
  callDevices: {
    heading: 'Calls', // (a11y contract: section)
    microphone: 'Microphone', // (a11y contract: combobox)
    camera: 'Camera', // (a11y contract: combobox)
    speaker: 'Speaker', // (a11y contract: combobox)
    systemDefault: 'System default', // (a11y contract: option)
    /** A device the system does not name yet, numbered among its kind. */
    unnamedMicrophone: (n: number) => `Microphone ${n}`,
    unnamedCamera: (n: number) => `Camera ${n}`,
    unnamedSpeaker: (n: number) => `Speaker ${n}`,
    /** Shown when some devices have no names: the system names them once the app may use them. */
    namesAfterCall: 'Device names show once you’ve allowed a call to use them.',
    hint: 'A change applies at once, during a call too. A device that’s unplugged falls back to the system default.',
    loading: 'Looking for devices…',
    unavailable: 'This device can’t list microphones and cameras.',
  },

  /** Exporting this device's logs for a bug report (Settings). */
  logs: {
    export: 'Export logs', // (a11y contract)
    exporting: 'Exporting…',
    exported: 'Logs saved.',
    failed: (reason: string) => `Couldn’t export the logs: ${reason}`,
  },

  /** The "About" dialog: versions a tester quotes in a bug report. */
  about: {
    open: 'About', // (a11y contract)
    title: 'About', // (a11y contract)
    loading: 'Loading…',
    failed: (reason: string) => `Couldn’t read the versions: ${reason}`,
    listLabel: 'Versions',
    app: 'App',
    electron: 'Electron',
    chromium: 'Chromium',
    node: 'Node',
    sqlite: 'SQLite',
    schema: 'Database schema',
    notApplicable: '—',
    close: 'Close',
  },

  linking: {
    title: 'Link this device', // (a11y contract: the screen's heading)
    intro:
      'Your account is already on another device. To read and send your messages here, link this device from that one: open Settings there, then Linked devices, then Link a new device, and enter this code or scan it.',
    code: 'Link code', // (a11y contract: read-only textbox)
    qr: 'Link code as a QR code',
    connecting: 'Connecting… the link code appears once this device reaches the server.',
    copy: 'Copy', // (a11y contract: button)
    copied: 'Copied.',
    useRecoveryKey: 'Use recovery key instead', // (a11y contract: button)
    newIdentity: 'Start with a new identity', // (a11y contract: button, and the dialog it opens)
    newIdentityText:
      'Use this only if you have no other device signed in and no recovery key. This device gets a new identity: messages sent to you before now can’t be read here, and the people you talk with see that your safety number changed.',
    newIdentityConfirm: 'Start with a new identity', // (a11y contract: button in the dialog)
    newIdentityPasswordNeeded: 'Log out and log in again with your password first.',
    newIdentityFailed: (reason: string) => `Couldn’t start with a new identity: ${reason}`,
    logOut: 'Log out',
    settingsHeading: 'Linked devices', // (a11y contract: section)
    list: 'Linked devices', // (a11y contract: list)
    lastSeen: (when: string) => `Last seen ${when}`,
    unlink: 'Unlink', // (a11y contract: button in each other device's listitem)
    unlinked: (device: string) => `${device} is unlinked.`,
    unlinkFailed: (reason: string) => `Couldn’t unlink that device: ${reason}`,
    loadFailed: (reason: string) => `Couldn’t load your devices: ${reason}`,
    linkNew: 'Link a new device', // (a11y contract: button, and the dialog it opens)
    enterCode: 'On the new device, log in with your password: it shows a link code. Enter that code here.',
    link: 'Link', // (a11y contract: button)
    cancel: 'Cancel', // (a11y contract: button)
    confirmTitle: (device: string) => `Link ${device}?`, // (a11y contract: dialog name)
    confirmText:
      'That device will get your identity and be able to read your messages. Only link a device you have in front of you.',
    notACode: 'That isn’t a link code. Copy it again from the new device.',
    linked: (device: string) => `${device} is linked.`,
    failed: (reason: string) => `Couldn’t link the device: ${reason}`,
    historyArriving: 'Bringing over your history from your other device…',
    historyFailed: 'History could not be transferred. This device works without it: new messages arrive as usual.', // (a11y contract: alert)
    historyRetry: 'Try again', // (a11y contract: button in the alert)
  },

  recoveryKey: {
    title: 'Recovery key', // (a11y contract: dialog name)
    open: 'Recovery key', // (a11y contract: button in the settings)
    field: 'Recovery key', // (a11y contract: read-only textbox)
    intro:
      'This is your recovery key. With it you can get your messages back on a new device if you lose this one. Write it down or keep it in a password manager; we can’t show it to anyone else, and we can’t recover it for you.',
    copy: 'Copy', // (a11y contract: button)
    copied: 'Copied.',
    copyFailed: 'Couldn’t copy it. Select the key and copy it yourself.',
    saved: 'I have saved it', // (a11y contract: button)
    later: 'Until you say you have saved it, this key is shown again each time the app starts.',
    askPassword: 'Enter your password to see your recovery key.',
    password: 'Password', // (a11y contract: password field)
    show: 'Show', // (a11y contract: button)
    wrongPassword: 'That password is wrong.',
    failed: (reason: string) => `Couldn’t show the recovery key: ${reason}`,
    none: 'This device has no recovery key yet: it signed in to an account made on another device. The recovery key is on the device where the account was made.',
    close: 'Close',
  },

  /** Restoring this device's keys from the key backup with the recovery key (RecoveryKeyRestore). */
  recoveryKeyRestore: {
    intro:
      'Enter the recovery key you saved when you made your account. It brings back your encryption keys and your message history.',
    field: 'Recovery key', // (a11y contract: textbox)
    restore: 'Restore', // (a11y contract: button)
    restoring: 'Restoring…',
    restored: 'Your keys are back on this device.',
    /** How a restore ended without restoring (RestoreOutcome). */
    outcomes: {
      wrong_recovery_key: 'That recovery key doesn’t open this account’s key backup. Check it and try again.',
      no_key_backup: 'This account has no key backup yet. Open the app on a device that has your keys, then try again.',
      unreadable_backup: 'The key backup can’t be read by this version of the app. Update the app and try again.',
      password_needed: 'Sign out and sign in again with your password, then enter the recovery key.',
      other_identity: 'This device already has other keys for this account.',
    },
    failed: (reason: string) => `Couldn’t restore: ${reason}`,
  },

  /** Why the server refused something (REFUSAL_REASONS), in words. */
  refusals: {
    conversation_not_found: 'This conversation doesn’t exist or you aren’t in it.',
    client_id_reused: 'It clashed with something sent earlier.',
    message_id_taken: 'It clashed with another message.',
    reply_target_missing: 'The message it answers isn’t available.',
    start_with_yourself: 'You can’t start a conversation with yourself.',
    no_such_user: 'There is no such person.',
    conversation_id_taken: 'It clashed with another conversation.',
    bad_conversation_id: 'The conversation couldn’t be created.',
    no_such_message: 'The message isn’t there any more.',
    not_author: 'Only its author can change a message.',
    message_deleted: 'The message was deleted.',
    already_deleted: 'The message was already deleted.',
    too_many_reactions: 'You’ve used the most reactions allowed on one message.',
    forwarded_message_missing: 'The message it forwards isn’t one you can pass on (not sent yet, or no longer yours to see).',
    not_a_group: 'That only works in a group.',
    not_allowed: 'Your role in this group doesn’t allow that.',
    not_a_member: 'That person isn’t in the group.',
    already_member: 'They are already in the group.',
    cannot_remove_owner: 'Nobody can remove the group’s owner.',
    role_unchanged: 'They already have that role.',
    too_many_members: 'The group would have too many members.',
    cannot_add_to_groups: 'Someone you named can’t be added to groups by you.',
    attachment_missing: 'An attached file hadn’t reached the server.',
    file_too_large: 'A file is larger than the server accepts.',
    quota_exceeded: 'You’ve used all the storage the server gives you.',
    checksum_mismatch: 'A file arrived damaged.',
    empty_file: 'A file is empty.',
    cannot_block_yourself: 'You can’t block yourself.',
    settings_full:
      'The server has no more room for your settings. Your change works on this device but doesn’t reach your other devices.',
    too_many_devices: 'This account is signed in on too many devices. End a session on one of them, then try again.',
    too_many_conversations_created: 'You’ve started too many conversations in the last hour. Try again later.',
    too_many_members_added: 'You’ve added too many people to groups in the last hour. Try again later.',
    no_keys: 'This person can’t receive encrypted messages yet.',
    keys_incomplete: 'This device’s encryption keys couldn’t be set up. Try again.',
    identity_key_mismatch: 'Your encryption identity doesn’t match the one on the server.',
    too_many_prekeys: 'This device has all the encryption keys it may store.',
    not_a_contact: 'You can only send that to people you have a conversation with.',
    no_such_device: 'That device is not signed in to your account. Check the link code.',
    device_already_linked: 'That device is linked already.',
    conversation_devices_changed:
      'Someone in this conversation has a new or removed device. Sending again for their devices now.',
    backup_version_mismatch: 'Another device changed the key backup at the same time. Try again.',
  } satisfies Record<RefusalReason, string>,

  /** A refusal about one person, named. Straight apostrophe: the issue gives these words. */
  refusalsAbout: {
    cannot_add_to_groups: (name: string) => `${name} can't be added to groups by you.`,
  },

  /** The Safety number dialog: two people compare the digits, or scan the code, to check their encryption. */
  safetyNumber: {
    verify: 'Verify safety number', // (a11y contract)
    title: 'Safety number', // (a11y contract)
    description: (name: string) =>
      `Compare these numbers with those on ${name}’s device, in person or on a call, or scan the code. If they match, nobody is in between.`,
    digitsLabel: 'Safety number digits',
    qrLabel: (name: string) => `QR code of your safety number with ${name}`,
    loading: 'Loading…',
    failed: (reason: string) => `Couldn’t show the safety number: ${reason}`,
    noKeys: (name: string) => `${name} hasn’t set up encryption yet, so there is no safety number to compare.`,
    noOwnKeys: 'This device has no encryption keys of your account, so there is no safety number to compare.',
    verified: (name: string) => `You verified ${name}.`,
    markVerified: 'Mark as verified', // (a11y contract)
    clearVerification: 'Clear verification', // (a11y contract)
    changeFailed: (reason: string) => `Couldn’t change that: ${reason}`,
    close: 'Close',
  },

  /** Asked before sending after a verified person's safety number changed. */
  identityChange: {
    title: 'Safety number changed',
    body: (names: string) =>
      `Your safety number with ${names} changed since you verified it. It may be a new device, or someone in between.`,
    sendAnyway: 'Send anyway', // (a11y contract)
    verify: 'Verify', // (a11y contract)
    cancel: 'Cancel',
  },

  /** One-to-one calls (issue 32): the header's buttons, the incoming call, the call itself. */
  calls: {
    voiceCall: 'Voice call', // (a11y contract)
    videoCall: 'Video call', // (a11y contract)
    /** Why the call buttons are off; the words exactly, straight apostrophe included. */
    offline: "You're offline", // (a11y contract: the buttons' description)
    inAnotherCall: 'You’re already in a call',
    incoming: 'Incoming call', // (a11y contract: the dialog's name)
    incomingVoice: (name: string) => `${name} is calling you`,
    incomingVideo: (name: string) => `${name} is video calling you`,
    accept: 'Accept', // (a11y contract)
    acceptWithVideo: 'Accept with video', // (a11y contract)
    decline: 'Decline', // (a11y contract)
    region: 'Call', // (a11y contract: the call's region)
    withPerson: (name: string) => `Call with ${name}`,
    calling: 'Calling…',
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
    duration: 'Call duration',
    mute: 'Mute', // (a11y contract)
    unmute: 'Unmute', // (a11y contract)
    cameraOff: 'Turn camera off', // (a11y contract)
    cameraOn: 'Turn camera on', // (a11y contract)
    shareScreen: 'Share screen', // (a11y contract)
    stopSharing: 'Stop sharing', // (a11y contract)
    hangUp: 'Hang up', // (a11y contract)
    returnToCall: 'Return to call', // (a11y contract)
    /** Beside the other person's picture when their microphone is off. */
    peerMuted: 'Muted',
    videoFrom: (name: string) => `Video from ${name}`,
    peerCameraOff: (name: string) => `${name}’s camera is off`,
    yourCamera: 'Your camera',
    yourScreen: 'Your screen',
    conflict: 'Another call is going on. Hang up first.',
    /** How a call ended, shown for a moment. */
    /** A call's entry in the conversation (issue 32), worded from this side. */
    entry: {
      voice: 'Voice call',
      video: 'Video call',
      /** "Voice call, 3:12" */
      withDuration: (call: string, duration: string) => `${call}, ${duration}`,
      missedVoice: 'Missed voice call',
      missedVideo: 'Missed video call',
      declined: 'Declined',
      noAnswer: 'No answer',
      busy: 'Busy',
      failed: 'Call failed',
      /** A second line, under "Voice call", for a call its caller cancelled before it was answered. */
      cancelled: 'Cancelled',
      /** A second line for a call that dropped and never came back. */
      connectionLost: 'Connection lost',
      callBack: 'Call back', // (a11y contract)
      /** A group call's entry, where it began: "Video call started". */
      groupStarted: (call: string) => `${call} started`,
    },
    ended: {
      completed: 'Call ended',
      cancelled: 'Call ended',
      declined: 'Declined',
      answered_elsewhere: 'Answered on another device',
      declined_elsewhere: 'Declined on another device',
      no_answer: 'No answer',
      missed: 'Missed call',
      busy: 'Busy',
      failed: 'Call failed',
      connection_lost: 'Connection lost',
    },
  },
  /** Group calls (issue 32): joining the call going on in a group, the call's tiles, its bar. */
  groupCalls: {
    joinCall: 'Join call', // (a11y contract)
    /** Why "Join call" is off: the most devices one call takes. */
    full: (max: number) => `This call is full (${max} ${plural(max, 'person', 'people')})`,
    /** While nobody else is in the call yet. */
    waiting: 'Waiting for others…', // (a11y contract: a status)
    /** The bar while the person reads a conversation. */
    inGroup: (name: string) => `Call in ${name}`,
  },
} as const;

/**
 * The shape every language file has: en's keys with any text in place of en's words, and each
 * function taking the same parameters. A missing or extra key is a type error; a function with
 * fewer parameters is not (TypeScript allows it), so test/unit/renderer/i18n checks arity too.
 */
export type Strings = Widen<typeof en>;

type Widen<T> = T extends string
  ? string
  : T extends (...args: infer A) => infer R
    ? (...args: A) => Widen<R>
    : T extends object
      ? { readonly [K in keyof T]: Widen<T[K]> }
      : T;
