/**
 * Renders the renderer's components on a store to markup, as the page would show them on first
 * paint (these tests run in node, with no DOM to click in: the flows are the store's, and e2e
 * drives the page). Server rendering reads the store as it was created (zustand's server snapshot),
 * so what a component takes from the store's later state is given to it as props here.
 *
 * The components are typechecked with the renderer (renderer/tsconfig.json: DOM and JSX); the
 * project that checks the tests has neither, so they are imported by a path its typechecker does
 * not follow and typed here by the props the tests give them.
 */
import { createElement, type ComponentType, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ConversationSummary, MessageView } from '../../../sync/app-api/contract.js';
import type { DisappearingView } from '../../../sync/app-api/disappearing-api.js';
import type { AppStore } from '../../../renderer/state/store.js';

interface Components {
  StoreProvider: ComponentType<{ store: AppStore; children?: ReactNode }>;
  ComposeProvider: ComponentType<{ conversationId: string; children?: ReactNode }>;
  MessageBubble: ComponentType<{
    message: MessageView;
    groupStart: boolean;
    current: boolean;
    sender: 'shown' | 'hidden' | 'none';
    mentionOf: string | null;
    leftGroup: boolean;
  }>;
  Composer: ComponentType<{ conversationId: string }>;
  ConversationHeader: ComponentType<{ conversation: ConversationSummary; titleId: string; onGroupInfo: () => void }>;
  /** The "Disappearing messages" dialog's form (the dialog itself is a portal, which needs a page). */
  DisappearingForm: ComponentType<{
    conversationId: string;
    isGroup: boolean;
    view: DisappearingView | null;
    onDone: () => void;
  }>;
}

const RENDERER = '../../../renderer';

async function load(): Promise<Components> {
  const [context, compose, bubble, composer, header, disappearing] = (await Promise.all([
    import(`${RENDERER}/state/context.js`),
    import(`${RENDERER}/state/compose.js`),
    import(`${RENDERER}/components/MessageBubble.js`),
    import(`${RENDERER}/components/Composer.js`),
    import(`${RENDERER}/components/ConversationHeader.js`),
    import(`${RENDERER}/components/DisappearingDialog.js`),
  ])) as [
    Pick<Components, 'StoreProvider'>,
    Pick<Components, 'ComposeProvider'>,
    Pick<Components, 'MessageBubble'>,
    Pick<Components, 'Composer'>,
    Pick<Components, 'ConversationHeader'>,
    Pick<Components, 'DisappearingForm'>,
  ];
  return { ...context, ...compose, ...bubble, ...composer, ...header, ...disappearing };
}

/** Markup of what `render` makes from the components, on `store`, in the open conversation `conversationId`. */
export async function markup(
  store: AppStore,
  conversationId: string,
  render: (components: Components) => ReactNode,
): Promise<string> {
  const components = await load();
  const { StoreProvider, ComposeProvider } = components;
  return renderToStaticMarkup(
    createElement(StoreProvider, { store }, createElement(ComposeProvider, { conversationId }, render(components))),
  );
}

/** Markup of one message's row, as the list shows a message that starts a run and is not the current one. */
export function bubbleMarkup(store: AppStore, message: MessageView): Promise<string> {
  return markup(store, message.conversationId, ({ MessageBubble }) =>
    createElement(MessageBubble, {
      message,
      groupStart: true,
      current: false,
      sender: 'none',
      mentionOf: null,
      leftGroup: false,
    }),
  );
}
