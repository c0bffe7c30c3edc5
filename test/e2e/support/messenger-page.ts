import { expect, type Locator, type Page } from '@playwright/test';

/** What a person does in the messenger, in the words of its accessible names. */
export class MessengerPage {
  constructor(readonly page: Page) {}

  async createAccount(username: string, displayName: string, password = 'a long enough password') {
    await this.page.getByRole('tab', { name: 'Create account' }).click();
    await this.page.getByRole('textbox', { name: 'Username' }).fill(username);
    await this.page.getByRole('textbox', { name: 'Display name' }).fill(displayName);
    await this.page.getByRole('textbox', { name: 'Password' }).fill(password);
    await this.page.getByRole('button', { name: 'Create account' }).click();
    await expect(this.conversations).toBeVisible();
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

  async startConversation(username: string) {
    await this.page.getByRole('button', { name: 'New conversation' }).click();
    const dialog = this.page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Username' }).fill(username);
    await dialog.getByRole('button', { name: 'Start' }).click();
    await expect(dialog).toBeHidden();
  }

  conversationWith(displayName: string): Locator {
    return this.conversations.getByRole('listitem').filter({ has: this.page.getByRole('button', { name: new RegExp(`^${displayName}`) }) });
  }

  async openConversationWith(displayName: string) {
    await this.conversations.getByRole('button', { name: new RegExp(`^${displayName}`) }).click();
    await expect(this.log).toBeVisible();
  }

  async send(text: string) {
    const composer = this.page.getByRole('textbox', { name: 'Message' });
    await composer.fill(text);
    await composer.press('Enter');
    await expect(composer).toHaveValue('');
  }

  message(text: string): Locator {
    return this.log.getByRole('article').filter({ hasText: text });
  }

  /** The accessible name of an own message's status element. */
  status(text: string, status: 'Sending' | 'Sent' | 'Delivered' | 'Read' | 'Failed'): Locator {
    return this.message(text).getByRole('img', { name: status, exact: true });
  }

  async messageTexts(): Promise<string[]> {
    return this.log.getByRole('article').evaluateAll((articles) => articles.map((article) => article.textContent ?? ''));
  }
}
