import { expect, type Locator, type Page } from '@playwright/test';

/** What a person does in the messenger, in the words of its accessible names. */
export class MessengerPage {
  #page: Page;

  constructor(page: Page) {
    this.#page = page;
  }

  /** The app's window now. Read it again after a restart: the Electron app comes back in a new one. */
  get page(): Page {
    return this.#page;
  }

  /** For the app launchers (app.ts): the app restarted and shows itself in `page`. */
  reopenedIn(page: Page): void {
    this.#page = page;
  }

  /** Signs up, and says the recovery key it is shown then was saved (as everyone who goes on does). */
  async createAccount(username: string, displayName: string, password = 'a long enough password') {
    await this.signUp(username, displayName, password);
    const dialog = this.recoveryKeyDialog;
    await dialog.getByRole('button', { name: 'I have saved it' }).click();
    await expect(dialog).toBeHidden();
  }

  /** Signs up and stops at the "Recovery key" dialog that follows. */
  async signUp(username: string, displayName: string, password = 'a long enough password') {
    await this.page.getByRole('tab', { name: 'Create account' }).click();
    await this.page.getByRole('textbox', { name: 'Username' }).fill(username);
    await this.page.getByRole('textbox', { name: 'Display name' }).fill(displayName);
    await this.page.getByRole('textbox', { name: 'Password' }).fill(password);
    await this.page.getByRole('button', { name: 'Create account' }).click();
    await expect(this.conversations).toBeVisible();
    await expect(this.recoveryKeyDialog).toBeVisible();
  }

  get recoveryKeyDialog(): Locator {
    return this.page.getByRole('dialog', { name: 'Recovery key' });
  }

  async logIn(username: string, password = 'a long enough password') {
    await this.page.getByRole('tab', { name: 'Log in' }).click();
    await this.page.getByRole('textbox', { name: 'Username' }).fill(username);
    await this.page.getByRole('textbox', { name: 'Password' }).fill(password);
    await this.page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect(this.conversations).toBeVisible();
  }

  /**
   * Logs in on a device of an account whose identity is on another device: it shows "Link this
   * device". Returns the link code it shows.
   */
  async logInToBeLinked(username: string, password = 'a long enough password'): Promise<string> {
    await this.page.getByRole('tab', { name: 'Log in' }).click();
    await this.page.getByRole('textbox', { name: 'Username' }).fill(username);
    await this.page.getByRole('textbox', { name: 'Password' }).fill(password);
    await this.page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect(this.linkScreen).toBeVisible();
    const code = this.linkScreen.getByRole('textbox', { name: 'Link code' });
    await expect(code).toHaveValue(/^\d+-/);
    return code.inputValue();
  }

  get linkScreen(): Locator {
    return this.page.getByRole('main', { name: 'Link this device' });
  }

  /** On a device with the identity: Settings → "Linked devices" → "Link a new device", the code, then "Link <device>?" → "Link". */
  async linkDevice(code: string) {
    await this.page.getByRole('button', { name: 'Settings', exact: true }).click();
    const settings = this.page.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('region', { name: 'Linked devices' }).getByRole('button', { name: 'Link a new device' }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Link a new device' });
    await dialog.getByRole('textbox', { name: 'Link code' }).fill(code);
    await dialog.getByRole('button', { name: 'Link', exact: true }).click();
    const confirm = this.page.getByRole('dialog', { name: /^Link .+\?$/ });
    await confirm.getByRole('button', { name: 'Link', exact: true }).click();
    await expect(settings.getByRole('region', { name: 'Linked devices' }).getByRole('status')).toContainText('is linked.');
    await settings.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(settings).toBeHidden();
  }

  /**
   * Logs in to an account made without the app (it has no identity anywhere): this device makes
   * it, and shows its recovery key, which is said to be saved.
   */
  async logInMakingIdentity(username: string, password = 'a long enough password') {
    await this.logIn(username, password);
    await expect(this.recoveryKeyDialog).toBeVisible();
    await this.recoveryKeyDialog.getByRole('button', { name: 'I have saved it' }).click();
    await expect(this.recoveryKeyDialog).toBeHidden();
  }

  get serverField(): Locator {
    return this.page.getByRole('textbox', { name: 'Server' });
  }

  get conversations(): Locator {
    return this.page.getByRole('list', { name: 'Conversations' });
  }

  get connection(): Locator {
    return this.page.getByRole('status', { name: 'Connection' });
  }

  get log(): Locator {
    return this.page.getByRole('log', { name: 'Messages' });
  }

  /** Settings → "Work offline" on or off, waiting until the connection says so. */
  async setWorkOffline(on: boolean) {
    await this.page.getByRole('button', { name: 'Settings', exact: true }).click();
    const settings = this.page.getByRole('dialog', { name: 'Settings' });
    const workOffline = settings.getByRole('switch', { name: 'Work offline' });
    if (on) await expect(workOffline).not.toBeChecked();
    else await expect(workOffline).toBeChecked();
    await workOffline.click();
    await expect(this.connection).toContainText(on ? 'Offline' : 'Online', { timeout: 45_000 });
    await settings.getByRole('button', { name: 'Close' }).first().click();
  }

  async startConversation(username: string) {
    await this.page.getByRole('button', { name: 'New conversation' }).click();
    const dialog = this.page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Username' }).fill(username);
    await dialog.getByRole('button', { name: 'Start' }).click();
    await expect(dialog).toBeHidden();
  }

  /** "New group" with this name and these people (by username), created. */
  async createGroup(name: string, usernames: string[]) {
    await this.page.getByRole('button', { name: 'New group' }).click();
    const dialog = this.page.getByRole('dialog', { name: 'New group' });
    await dialog.getByRole('textbox', { name: 'Group name' }).fill(name);
    for (const username of usernames) {
      await dialog.getByRole('textbox', { name: 'Add people' }).fill(username);
      await dialog.getByRole('button', { name: 'Add', exact: true }).click();
      await expect(dialog.getByRole('button', { name: `Remove ${username}` })).toBeVisible();
    }
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect(dialog).toBeHidden();
  }

  conversationWith(displayName: string): Locator {
    return this.conversations
      .getByRole('listitem')
      .filter({ has: this.page.getByRole('button', { name: new RegExp(`^${displayName}`) }) });
  }

  /**
   * Opens the conversation with `displayName` from the list. One that arrived as a message request
   * is accepted first (acceptRequestFrom), as a person who knows them would.
   */
  async openConversationWith(displayName: string) {
    const entry = this.conversations.getByRole('button', { name: new RegExp(`^${displayName}`) });
    await expect(entry.or(this.requestsButton).first()).toBeVisible();
    if (!(await entry.isVisible())) await this.acceptRequestFrom(displayName);
    await entry.click();
    await expect(this.log).toBeVisible();
  }

  get requestsButton(): Locator {
    return this.page.getByRole('button', { name: 'Message requests', exact: true });
  }

  /** Opens "Message requests", accepts the one from `displayName` and goes back to the main list. */
  async acceptRequestFrom(displayName: string) {
    await this.requestsButton.click();
    const requests = this.page.getByRole('list', { name: 'Message requests' });
    await requests.getByRole('button', { name: new RegExp(`^${displayName}`) }).click();
    await this.page.getByRole('button', { name: 'Accept', exact: true }).click();
    await this.page.getByRole('button', { name: 'Back', exact: true }).click();
    await expect(this.conversations.getByRole('button', { name: new RegExp(`^${displayName}`) })).toBeVisible();
  }

  async send(text: string) {
    const composer = this.page.getByRole('textbox', { name: 'Message' });
    await composer.fill(text);
    await composer.press('Enter');
    await expect(composer).toHaveValue('');
  }

  message(text: string): Locator {
    // The message's own text (a paragraph), not a quote of it inside a reply.
    return this.log.getByRole('article').filter({ has: this.page.getByRole('paragraph').filter({ hasText: text }) });
  }

  /** The accessible name of an own message's status element. */
  status(text: string, status: 'Sending' | 'Sent' | 'Delivered' | 'Read' | 'Failed'): Locator {
    return this.message(text).getByRole('img', { name: status, exact: true });
  }

  async messageTexts(): Promise<string[]> {
    return this.log.getByRole('article').allTextContents();
  }

  /** Hovers a message so its actions show, then activates one of them. */
  async messageAction(text: string, action: 'Reply' | 'React' | 'Edit' | 'Delete' | 'Info') {
    const message = this.message(text);
    await message.hover();
    await message.getByRole('button', { name: action, exact: true }).click();
  }

  async react(text: string, emoji: string) {
    await this.messageAction(text, 'React');
    await this.page.getByRole('button', { name: emoji, exact: true }).click();
  }

  /** The toggle button under a message for one emoji, e.g. "👍 2". */
  reaction(text: string, emoji: string, count: number): Locator {
    return this.message(text).getByRole('button', { name: `${emoji} ${count}`, exact: true });
  }

  async edit(text: string, newText: string) {
    await this.messageAction(text, 'Edit');
    const composer = this.page.getByRole('textbox', { name: 'Message' });
    await expect(composer).toHaveValue(text);
    await composer.fill(newText);
    await composer.press('Enter');
    await expect(composer).toHaveValue('');
  }

  async replyTo(text: string, authorName: string, reply: string) {
    await this.messageAction(text, 'Reply');
    await expect(this.page.getByLabel(`Replying to ${authorName}`)).toBeVisible();
    await this.send(reply);
    await expect(this.page.getByLabel(`Replying to ${authorName}`)).toBeHidden();
  }

  async deleteForEveryone(text: string) {
    await this.messageAction(text, 'Delete');
    const dialog = this.page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete for everyone' }).click();
    await expect(dialog).toBeHidden();
  }

  get deletedMessages(): Locator {
    return this.message('This message was deleted');
  }
}
