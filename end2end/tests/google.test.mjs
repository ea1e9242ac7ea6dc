// "Add Google Calendar" against the fake Google: consent, back in Settings with the calendar
// listed, sync now and events counted, then Reconnect after the grant is revoked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signUp, startRondo, launchBrowser, hydrated, shot, waitForText, freePort } from './support.mjs';
import { startFakeGoogle, googleMeeting, ACCOUNT } from './fakegoogle.mjs';

let server;
let browser;
let google;

before(async () => {
  google = await startFakeGoogle();
  await google.putEvent(ACCOUNT, googleMeeting('kickoff', 'Kickoff', 3));
  await google.putEvent(ACCOUNT, googleMeeting('retro', 'Retro', -20));
  const port = await freePort();
  server = await startRondo({
    port,
    env: { ...google.rondoEnv, RONDO_PUBLIC_URL: `http://127.0.0.1:${port}`, RONDO_SCHEDULER: 'false' },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await google?.stop();
});

test('connect Google Calendar, sync it, and reconnect after the grant is revoked', async () => {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, server.base, 'google');

  await page.goto(`${server.base}/settings/calendars`);
  await hydrated(page);
  // Cancelling at Google comes back with a plain message and nothing connected.
  await page.getByRole('link', { name: 'Add Google Calendar' }).click();
  await page.waitForURL(`${google.base}/**`);
  await page.click('#deny');
  await page.waitForURL(`${server.base}/settings/calendars?error=denied`);
  await hydrated(page);
  await page.getByRole('alert').filter({ hasText: 'Google access was not granted' }).waitFor();
  await page.getByText('No calendars connected yet').waitFor();

  await page.getByRole('link', { name: 'Add Google Calendar' }).click();

  // Google's consent page (the fake) names the account and the read-only calendar scope.
  await page.waitForURL(`${google.base}/**`);
  assert.match(await page.textContent('body'), new RegExp(ACCOUNT.replace('.', '\\.')));
  assert.match(await page.textContent('body'), /calendar\.readonly/);
  await shot(page, '30-google-consent');
  await page.click('#allow');

  await page.waitForURL(`${server.base}/settings/calendars?connected=*`);
  await hydrated(page);
  await page.getByText('Google Calendar connected').waitFor();
  const card = page.locator('.connection', { hasText: ACCOUNT });
  await card.waitFor();
  assert.equal((await card.locator('.provider').textContent()).trim(), 'Google Calendar');
  assert.match(await card.locator('.calendar-list').textContent(), new RegExp(ACCOUNT.replace('.', '\\.')));
  // The first sync runs in the background; the page follows it and shows the result.
  await waitForText(card.locator('.last-run'), '2 added, 0 changed, 0 removed, 0 logged');
  await waitForText(card.locator('.event-count'), '2');

  // A new meeting at Google arrives with "Sync now".
  await google.putEvent(ACCOUNT, googleMeeting('review', 'Design review', 26));
  await card.getByRole('button', { name: 'Sync now' }).click();
  await card.locator('.sync-result', { hasText: '1 added, 0 changed, 0 removed' }).waitFor();
  await waitForText(card.locator('.event-count'), '3');
  assert.equal((await card.locator('.badge').textContent()).trim(), 'Connected');
  await shot(page, '31-google-connected');

  // The user revokes Rondo's access at Google: the next sync asks for re-authentication.
  await google.revokeTokens();
  await card.getByRole('button', { name: 'Sync now' }).click();
  await card.getByRole('alert').filter({ hasText: 'Reconnect' }).first().waitFor();
  await waitForText(card.locator('.badge'), 'Needs re-authentication');
  await shot(page, '32-google-needs-reauth');
  // The dashboard says so above today's meetings and leads back to Calendars.
  const connectionName = (await card.locator('.connection-head h2').textContent()).trim();
  await page.click('nav >> text=Dashboard');
  const banner = page.locator('.today').getByRole('alert').filter({ hasText: 'needs attention' });
  await banner.waitFor();
  assert.match(await banner.textContent(), new RegExp(`^${connectionName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} needs attention`));
  await banner.getByRole('link', { name: 'Open Calendars' }).click();
  await page.waitForURL(`${server.base}/settings/calendars`);
  await waitForText(card.locator('.badge'), 'Needs re-authentication');

  // Reconnect runs the consent again for the same connection.
  await card.getByRole('link', { name: 'Reconnect' }).click();
  await page.waitForURL(`${google.base}/**`);
  await page.click('#allow');
  await page.waitForURL(`${server.base}/settings/calendars?reconnected=*`);
  await hydrated(page);
  await page.getByText('Google Calendar reconnected').waitFor();
  assert.equal(await page.locator('.connection').count(), 1, 'still one connection');
  const again = page.locator('.connection', { hasText: ACCOUNT });
  // The sync after reconnecting runs in the background ("Sync now" waits meanwhile); then
  // "Sync now" works again.
  await waitForText(again.locator('.badge'), 'Connected');
  await again.getByRole('button', { name: 'Sync now' }).click();
  await again.locator('.sync-result', { hasText: 'Synced:' }).waitFor();
  await waitForText(again.locator('.badge'), 'Connected');
  await waitForText(again.locator('.event-count'), '3');
});

test('Google: frequency, sync until and out-of-office in Edit; the entry on the dashboard; the link to Google', async () => {
  const away = googleMeeting('away', 'Vacation', 0);
  away.eventType = 'outOfOffice';
  await google.putEvent(ACCOUNT, away);
  const page = await (await browser.newContext()).newPage();
  await signUp(page, server.base, 'googleprefs');
  await page.goto(`${server.base}/settings/calendars`);
  await hydrated(page);
  await page.getByRole('link', { name: 'Add Google Calendar' }).click();
  await page.waitForURL(`${google.base}/**`);
  await page.click('#allow');
  await page.waitForURL(`${server.base}/settings/calendars?connected=*`);
  await hydrated(page);
  const card = page.locator('.connection', { hasText: ACCOUNT });
  // Kickoff, Retro and Design review; the out-of-office entry is not stored yet.
  await waitForText(card.locator('.last-run'), '3 added, 0 changed, 0 removed, 0 logged');
  await waitForText(card.locator('.event-count'), '3');
  assert.equal((await card.locator('.sync-prefs').textContent()).trim(), 'every 15 min');

  await card.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  await page.selectOption('#edit-frequency', '30m');
  await page.selectOption('#edit-ahead', '365');
  await edit.getByLabel('Show out-of-office').check();
  await shot(page, '33-google-edit-prefs');
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.waitFor({ state: 'detached' });
  await waitForText(card.locator('.sync-prefs'), 'every 30 min · out of office shown');
  await waitForText(card.locator('.window'), '3 months back · until 1 year ahead');
  await page.reload();
  await hydrated(page);
  await waitForText(card.locator('.sync-prefs'), 'every 30 min · out of office shown');
  await waitForText(card.locator('.window'), '3 months back · until 1 year ahead');

  // The next sync brings the out-of-office entry, and only it.
  await card.getByRole('button', { name: 'Sync now' }).click();
  await card.locator('.sync-result', { hasText: '1 added, 0 changed, 0 removed' }).waitFor();
  await waitForText(card.locator('.event-count'), '4');

  await page.goto(server.base);
  await hydrated(page);
  const entry = page.locator('.today-item', { hasText: 'Vacation' });
  await entry.locator('.tag', { hasText: 'Out of office' }).waitFor();
  assert.equal(await entry.locator('.join').count(), 0, 'nothing to join');
  await shot(page, '34-google-out-of-office');

  // Its page: no Join, no "Log as activity", and the way to Google Calendar.
  await entry.locator('.today-title').click();
  await page.waitForURL(`${server.base}/meetings/*`);
  await hydrated(page);
  const link = page.getByRole('link', { name: 'Open in Google Calendar' });
  await link.waitFor();
  assert.match(await link.getAttribute('href'), /^https:\/\/www\.google\.com\/calendar\/event\?eid=/);
  assert.match(await link.getAttribute('rel'), /noopener/);
  assert.equal(await page.getByRole('button', { name: 'Log as activity' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Join' }).count(), 0);
});

test('without an OAuth client, "Add Google Calendar" explains what to configure', async () => {
  const plain = await startRondo();
  try {
    const page = await (await browser.newContext()).newPage();
    await signUp(page, plain.base, 'nogoogle');
    await page.goto(`${plain.base}/settings/calendars`);
    await hydrated(page);
    await page.getByRole('button', { name: 'Add Google Calendar' }).click();
    const help = page.locator('.google-help');
    await help.waitFor();
    assert.match(await help.textContent(), /RONDO_GOOGLE_CLIENT_ID/);
    assert.match(await help.textContent(), /\/oauth\/google\/callback/);
  } finally {
    await plain.stop();
  }
});
