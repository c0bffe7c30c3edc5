/**
 * How many conversations the renderer asks for before its first paint (more than a sidebar shows on any
 * screen); the rest of the list follows.
 * Shared with the cold-start benchmark, which times what the app does before a person sees the list.
 */
export const CONVERSATION_LIST_FIRST_SCREEN = 40;
