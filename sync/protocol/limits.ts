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
  maxCatchUpPage: 500,
  defaultCatchUpPage: 200,
  /** Ids the client chooses (client message ids, request ids). */
  maxIdChars: 64,
} as const;

/** Usernames: lowercase letters, digits, dot, underscore, dash. */
export const USERNAME_PATTERN = /^[a-z0-9._-]+$/;
