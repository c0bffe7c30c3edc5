/**
 * Issue 13: the interface speaks English, Russian and Ukrainian. Choosing a language in Settings
 * changes every word at once, plurals included (Intl.PluralRules), without closing the dialog or
 * losing what is on screen; choosing English brings the English names back (QA's contract).
 */
import { expect, test } from './support/app.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

test('Ukrainian chosen in Settings changes the interface and its plurals at once; English brings it back', async ({
  launchApp,
}) => {
  const { alice } = await aliceAndBob(launchApp, resources, 'language');
  for (const n of [1, 2, 3, 4, 5]) await alice.send(`Lunch plan ${n}`);
  const searchBox = alice.page.getByRole('textbox', { name: 'Search' });
  await searchBox.fill('lunch');
  const results = alice.page.getByRole('list', { name: 'Search results' });
  await expect(results).toHaveAttribute('aria-busy', 'false');
  await expect(alice.page.getByText('5 messages found')).toBeVisible();
  await expect(results.getByRole('listitem').first()).toContainText('You: Lunch plan');

  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = alice.page.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('combobox', { name: 'Language' }).selectOption({ label: 'Українська' });

  // The same dialog stays open, now in Ukrainian; the page says which language it is in.
  const ukrainianSettings = alice.page.getByRole('dialog', { name: 'Налаштування' });
  await expect(ukrainianSettings).toBeVisible();
  await expect(ukrainianSettings.getByRole('combobox', { name: 'Мова' })).toHaveValue('uk');
  await expect(alice.page.locator('html')).toHaveAttribute('lang', 'uk');
  await ukrainianSettings.getByRole('button', { name: 'Закрити' }).click();
  await expect(ukrainianSettings).toBeHidden();

  // Behind it everything changed, the search kept: "5 messages" is the plural's "many" form, and
  // the result rows (memoised) say "You" in Ukrainian too.
  await expect(alice.page.getByText('Знайдено 5 повідомлень')).toBeVisible();
  await expect(alice.page.getByRole('textbox', { name: 'Пошук' })).toHaveValue('lunch');
  await expect(alice.page.getByRole('list', { name: 'Результати пошуку' }).getByRole('listitem').first()).toContainText(
    'Ви: Lunch plan',
  );
  await expect(alice.page.getByRole('button', { name: 'Settings', exact: true })).toHaveCount(0);

  await alice.page.getByRole('button', { name: 'Налаштування', exact: true }).click();
  await ukrainianSettings.getByRole('combobox', { name: 'Мова' }).selectOption({ label: 'English' });
  await expect(settings).toBeVisible();
  await expect(alice.page.locator('html')).toHaveAttribute('lang', 'en');
  await settings.getByRole('button', { name: 'Close' }).click();
  await expect(alice.page.getByText('5 messages found')).toBeVisible();
  await expect(searchBox).toHaveValue('lunch');
});
