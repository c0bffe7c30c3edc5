import { createContext, useContext } from 'react';

/** Scrolls the message list to a message (loading older ones if needed) and highlights it. */
export type JumpTo = (messageId: string) => void;

export const JumpContext = createContext<JumpTo>(() => {});

export function useJumpTo(): JumpTo {
  return useContext(JumpContext);
}
