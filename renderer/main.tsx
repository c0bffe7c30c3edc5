/** Renderer entry: pick the transport (preload or browser bridge), build the store, render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createAppApiClient } from '../sync/app-api/client.js';
import { App } from './components/App.js';
import { StoreProvider } from './state/context.js';
import { createAppStore } from './state/store.js';
import { connectTransport } from './transport/connect.js';
import './styles/index.css';

const transport = connectTransport();
const api = createAppApiClient(transport);
const store = createAppStore(api, transport);

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root');

createRoot(container).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
