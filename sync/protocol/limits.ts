/** Hard limits shared by client and server. Changing one is a protocol change. */
export const LIMITS = {
  /** Largest WebSocket frame the server accepts; bigger frames close the connection (1009). */
  maxFrameBytes: 64 * 1024,
  /** Longest message text, in UTF-16 code units (what JavaScript's length counts). */
  maxMessageChars: 10_000,
  minUsernameChars: 3,
  maxUsernameChars: 32,
  maxDisplayNameChars: 64,
  minPasswordChars: 8,
  maxPasswordChars: 256,
  /** Catch-up pages: the client asks for up to this many events at once. */
  maxCatchUpPage: 2000,
  /** The server cuts a catch-up page short (hasMore: true) before its frame passes this size. */
  maxCatchUpBytes: 2 * 1024 * 1024,
  /** Largest frame a client accepts from the server (catch-up pages are the largest). */
  maxServerFrameBytes: 8 * 1024 * 1024,
  defaultCatchUpPage: 200,
  /** Conversations in one page of list_conversations (the server may cut a page shorter). */
  maxConversationsPage: 100,
  /**
   * The server cuts a page of conversations short before its frame passes this size: anyone can
   * add anyone to full groups, whose member lists would otherwise outgrow maxServerFrameBytes.
   */
  maxConversationsPageBytes: 2 * 1024 * 1024,
  /** Ids the client chooses (client message ids, request ids). */
  maxIdChars: 64,
  /** One emoji, in UTF-16 code units: family ZWJ sequences with skin tones reach about 25. */
  maxEmojiChars: 32,
  /** Distinct emojis one person may have on one message at once. */
  maxReactionsPerPerson: 20,
  /** How long a typing indicator shows after the last typing frame. */
  typingTtlMs: 6_000,
  /** How often a client repeats its typing frame while the person keeps typing. */
  typingRepeatMs: 3_000,
  /** Group names, in UTF-16 code units, after trimming. */
  minGroupNameChars: 1,
  maxGroupNameChars: 100,
  /**
   * The most members a group can have on any server (the frames' arrays are capped by it). A server
   * may set a lower limit of its own (`maxGroupMembers` in its options).
   */
  maxGroupMembers: 1000,
  /**
   * Settings registers in one set_settings frame, and in one page of list_settings. Drafts are long:
   * a client also keeps each set_settings frame under maxFrameBytes.
   */
  maxSettingsPerFrame: 100,
  /** A sealed setting's value as base64: a draft of maxMessageChars fits, and one fits a set_settings frame. */
  maxSealedSettingChars: 60_000,
  /** A link preview's parts, in UTF-16 code units (the image as its data: URL). */
  maxLinkPreviewUrlChars: 2048,
  maxLinkPreviewTitleChars: 300,
  maxLinkPreviewDescriptionChars: 1000,
  maxLinkPreviewImageChars: 24_000,
  maxDeviceNameChars: 64,
} as const;

/**
 * How long sessions live and how much one person may do: the server enforces these, the client
 * words its refusals by them.
 */
export const ACCOUNT_CAPS = {
  /** A session unused this long has expired (its token opens nothing). */
  sessionIdleExpiryMs: 90 * 24 * 60 * 60 * 1000,
  /** A session's last use is written at most this often (connecting and HTTP requests use it). */
  sessionTouchEveryMs: 60 * 60 * 1000,
  /** Devices (open sessions) one account may have; signing in on one more is refused. */
  maxDevicesPerAccount: 20,
  /** Conversations (direct or groups) one person may create in any hour. */
  maxConversationsCreatedPerHour: 60,
  /** People one person may add to groups (at creation or later) in any hour: two full groups' worth. */
  maxMembersAddedPerHour: 2_000,
  capWindowMs: 60 * 60 * 1000,
  /**
   * Sealed settings registers (distinct keys) one account may have stored on the server. Each
   * conversation may hold a draft, an archive and a mute register, and each sender key the
   * account's devices ever started or were handed one more: a heavy user of many groups for years
   * holds tens of thousands.
   */
  maxSealedSettings: 200_000,
  /**
   * What one account's sealed registers may hold, their keys and values together (base64url and
   * base64: characters are bytes). A sender key's register is about 700, an archive or a mute
   * about 300, a draft up to about 14,000 (40,000 in a script of three-byte characters): 50,000
   * sender keys and drafts, archives and mutes in 5,000 conversations come to about 40 MB.
   */
  maxSealedSettingsBytes: 64 * 1024 * 1024,
} as const;

/**
 * A single emoji: pictographs with their modifiers, variation selectors and zero-width joiners, a
 * flag (two regional indicators), or a keycap. Letters and digits alone are refused.
 */
export const EMOJI_PATTERN =
  /^(?:(?:\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F)?(?:\u200D\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F)?)*)|(?:\p{Regional_Indicator}{2})|(?:[0-9#*]\uFE0F?\u20E3))$/u;

/** Usernames: lowercase letters, digits, dot, underscore, dash. */
export const USERNAME_PATTERN = /^[a-z0-9._-]+$/;
