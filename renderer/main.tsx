/** Renderer entry: pick the transport (preload or browser bridge), build the store, render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createAppApiClient } from '../sync/app-api/client.js';
import { browserCallMedia } from './calls/browser-media-engine.js';
import { App } from './components/App.js';
import { followLanguage } from './i18n/follow.js';
import { StoreProvider } from './state/context.js';
import { followTheme } from './state/preferences.js';
import { createAppStore } from './state/store.js';
import { connectTransport } from './transport/connect.js';
import './styles/index.css';

const transport = connectTransport();
const api = createAppApiClient(transport);
const store = createAppStore(api, transport, browserCallMedia);
// <html data-theme>, which the styles follow: the system's until the preferences are read.
followTheme(
  () => store.getState().preferences,
  (listener) => store.subscribe(listener),
  document.documentElement,
);
// The interface language and <html lang>: the system's until the preferences are read, then theirs.
followLanguage(
  () => store.getState().preferences?.language ?? 'system',
  (listener) => store.subscribe(listener),
  window,
);

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root');

createRoot(container).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
