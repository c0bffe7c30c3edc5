/**
 * One person's app, started for a test the same way whatever the target (target.ts): the browser
 * host opened in a Chromium tab, or the Electron app. Specs drive it through `messenger` only.
 */
import type { MessengerPage } from './messenger-page.js';

export interface AppOptions {
  /** Whose app it is: names its temporary profile folder. */
  name: string;
  serverUrl: string;
  /** More flags both hosts take (e.g. --allow-loopback-previews, --offline, --log-level <level>). */
  args?: readonly string[];
}

export interface RunningApp {
  /** The same object across restarts: it follows the app into the window it comes back in. */
  readonly messenger: MessengerPage;
  /** Its profile folder (removed after the test), the same across restarts. */
  readonly profileDir: string;
  /** Closes the app, as a person quitting it would. */
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same profile and server address. */
  start(): Promise<void>;
  restart(): Promise<void>;
}

export type LaunchApp = (options: AppOptions) => Promise<RunningApp>;

/** A target's way of starting apps; stopAll() ends every one it started and removes their profiles. */
export interface AppLauncher {
  launch: LaunchApp;
  stopAll(): Promise<void>;
}
