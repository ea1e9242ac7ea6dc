// Settings → Calendars against a real Radicale server: add a CalDAV account through the modal,
// pick a calendar, sync, see status and counts, edit, delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signUp, signUpWithoutJs, startRondo, launchBrowser, hydrated, shot, waitForText } from './support.mjs';
import { startRadicale, startSlowProxy, vevent, USER, PASSWORD } from './radicale.mjs';

let server;
let browser;
let radicale;

before(async () => {
  radicale = await startRadicale();
  await radicale.makeCalendar('work', 'Work', '#e8590c');
  await radicale.makeCalendar('home', 'Home', '#2b8a3e');
  await radicale.putEvent('work', 'standup.ics', vevent({ uid: 'standup-1', summary: 'Standup', startOffsetHours: 2 }));
  await radicale.putEvent('work', 'review.ics', vevent({ uid: 'review-1', summary: 'Design review', startOffsetHours: -30 }));
  await radicale.putEvent('home', 'dentist.ics', vevent({ uid: 'dentist-1', summary: 'Dentist', startOffsetHours: 50 }));
  server = await startRondo({ env: { RONDO_ALLOW_PRIVATE_SERVERS: 'true' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await radicale?.stop();
});

test('connect a CalDAV account, sync it, edit and delete it', async () => {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, server.base, 'cal');

  await page.click('nav >> text=Settings');
  await page.click('.tabs >> text=Calendars');
  await page.getByText('No calendars connected yet').waitFor();
  await page.click('text=Add CalDAV account');
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await page.fill('#caldav-url', radicale.base);
  await page.fill('#caldav-username', USER);
  await page.fill('#caldav-password', 'wrong password');
  await page.click('text=Test connection');
  await dialog.getByRole('alert').filter({ hasText: 'username or password' }).waitFor();

  await page.fill('#caldav-password', PASSWORD);
  await page.click('text=Test connection');
  await dialog.getByText('Found 2 calendar(s)').waitFor();
  // Keep only "Work".
  await dialog.getByLabel('Home').uncheck();
  await page.fill('#caldav-name', 'My Radicale');
  await page.selectOption('#caldav-frequency', '1h');
  await shot(page, '10-add-caldav');
  await dialog.getByRole('button', { name: 'Add account' }).click();
  await dialog.waitFor({ state: 'detached' });

  const card = page.locator('.connection', { hasText: 'My Radicale' });
  await card.waitFor();
  // The first sync runs in the background right after connecting; the card shows its result.
  await waitForText(card.locator('.last-run'), '2 added, 0 changed, 0 removed, 0 logged');
  await waitForText(card.locator('.event-count'), '2');
  assert.match(await card.locator('.calendar-list').textContent(), /Work/);
  assert.doesNotMatch(await card.locator('.calendar-list').textContent(), /Home/);
  assert.equal(await card.locator('.badge').textContent(), 'Connected');
  assert.equal((await card.locator('.sync-prefs').textContent()).trim(), 'every hour');
  assert.equal((await card.locator('.window').textContent()).trim(), '3 months back · until 1 month ahead');

  // A new event on the server arrives with "Sync now".
  await radicale.putEvent('work', 'lunch.ics', vevent({ uid: 'lunch-1', summary: 'Lunch', startOffsetHours: 5 }));
  await card.getByRole('button', { name: 'Sync now' }).click();
  await card.locator('.sync-result', { hasText: '1 added, 0 changed, 0 removed' }).waitFor();
  await waitForText(card.locator('.event-count'), '3');
  assert.match(await card.locator('.last-sync').textContent(), /just now|minute/);
  await shot(page, '11-calendars');

  // Edit: tick "Home" too, sync daily, six months ahead and 45 days back.
  await card.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  await edit.getByLabel('Home').check();
  await page.fill('#edit-name', 'Radicale');
  assert.equal(await page.inputValue('#edit-frequency'), '1h');
  assert.equal(await page.inputValue('#edit-ahead'), '30');
  await page.selectOption('#edit-frequency', '1d');
  await page.selectOption('#edit-ahead', '182');
  await page.selectOption('#edit-back', 'custom');
  await page.fill('#edit-back-days', '45');
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.waitFor({ state: 'detached' });
  const renamed = page.locator('.connection', { hasText: 'Radicale' });
  await renamed.locator('.calendar-list', { hasText: 'Home' }).waitFor();
  await waitForText(renamed.locator('.sync-prefs'), 'daily');
  await waitForText(renamed.locator('.window'), '45 days back · until 6 months ahead');
  // Kept across a reload, and the dialog opens with them.
  await page.reload();
  await hydrated(page);
  await waitForText(renamed.locator('.sync-prefs'), 'daily');
  await waitForText(renamed.locator('.window'), '45 days back · until 6 months ahead');
  await renamed.getByRole('button', { name: 'Edit' }).click();
  assert.equal(await page.inputValue('#edit-frequency'), '1d');
  assert.equal(await page.inputValue('#edit-ahead'), '182');
  assert.equal(await page.inputValue('#edit-back'), 'custom');
  assert.equal(await page.inputValue('#edit-back-days'), '45');
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await renamed.getByRole('button', { name: 'Sync now' }).click();
  await renamed.locator('.sync-result', { hasText: '1 added' }).waitFor();
  await waitForText(renamed.locator('.event-count'), '4');

  // Delete.
  await renamed.locator('summary', { hasText: 'Delete' }).click();
  await renamed.getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByText('No calendars connected yet').waitFor();
});

test('a wrong new password keeps the Edit dialog open with its error', async () => {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, server.base, 'cal-wrong');
  await page.goto(`${server.base}/settings/calendars`);
  await hydrated(page);
  await page.click('text=Add CalDAV account');
  const dialog = page.getByRole('dialog');
  await page.fill('#caldav-url', radicale.base);
  await page.fill('#caldav-username', USER);
  await page.fill('#caldav-password', PASSWORD);
  await page.click('text=Test connection');
  await dialog.getByText('Found 2 calendar(s)').waitFor();
  await page.fill('#caldav-name', 'Wrong password test');
  await dialog.getByRole('button', { name: 'Add account' }).click();
  await dialog.waitFor({ state: 'detached' });
  const card = page.locator('.connection', { hasText: 'Wrong password test' });
  await card.locator('.last-run').waitFor();

  await card.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  await page.fill('#edit-password', 'not the password');
  await edit.getByRole('button', { name: 'Save' }).click();
  // The error shows in the dialog, which stays open with what was typed.
  await edit.getByRole('alert').filter({ hasText: 'username or password' }).waitFor();
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await edit.isVisible(), true);
  assert.equal(await page.inputValue('#edit-password'), 'not the password');
  await shot(page, '12-edit-wrong-password');
  await edit.getByRole('button', { name: 'Cancel' }).click();
  await edit.waitFor({ state: 'detached' });
});

test('after Add account the first sync shows its progress, also without JavaScript, then its result', async () => {
  // 300 events, each batch of 50 answered a second late: a first sync of several seconds.
  const big = await startRadicale();
  const slow = await startSlowProxy(big.base, 1_000);
  try {
    await big.makeCalendar('team', 'Team', '#1971c2');
    for (let i = 0; i < 300; i++) {
      await big.putEvent('team', `e${i}.ics`, vevent({ uid: `team-${i}`, summary: `Team ${i}`, startOffsetHours: 1 + i }));
    }
    const context = await browser.newContext();
    const page = await context.newPage();
    await signUp(page, server.base, 'cal-progress');
    await page.goto(`${server.base}/settings/calendars`);
    await hydrated(page);
    await page.click('text=Add CalDAV account');
    const dialog = page.getByRole('dialog');
    await page.fill('#caldav-url', slow.base);
    await page.fill('#caldav-username', USER);
    await page.fill('#caldav-password', PASSWORD);
    await page.click('text=Test connection');
    await dialog.getByText('Found 1 calendar(s)').waitFor();
    await page.fill('#caldav-name', 'Big team');
    await dialog.getByRole('button', { name: 'Add account' }).click();
    // The dialog closes at once: the sync goes on in the background.
    await dialog.waitFor({ state: 'detached', timeout: 3_000 });

    const card = page.locator('.connection', { hasText: 'Big team' });
    const progress = card.locator('.sync-progress');
    await progress.locator('.progress-text', { hasText: /Syncing… [1-9][\d,]* of 300 events/ }).waitFor({ timeout: 20_000 });
    assert.equal(await progress.locator('progress').getAttribute('max'), '300');
    assert.equal((await card.locator('.badge').textContent()).trim(), 'Syncing…');
    assert.equal(await card.getByRole('button', { name: 'Syncing…' }).isDisabled(), true);
    await shot(page, '13-first-sync-progress');

    // A reload without JavaScript shows where the sync is.
    const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await plain.context().addCookies(await context.cookies());
    await plain.goto(`${server.base}/settings/calendars`);
    assert.match(await plain.locator('.connection .sync-progress').textContent(), /Syncing… [\d,]+ of 300 events/);
    await plain.context().close();

    // The page keeps polling by itself until the sync is done, then shows the result.
    await waitForText(card.locator('.last-run'), '300 added, 0 changed, 0 removed, 0 logged', 60_000);
    await waitForText(card.locator('.event-count'), '300');
    assert.equal((await card.locator('.badge').textContent()).trim(), 'Connected');
    assert.equal(await progress.count(), 0);
    await card.getByRole('button', { name: 'Sync now' }).waitFor();
    await shot(page, '14-first-sync-done');
  } finally {
    await slow.stop();
    await big.stop();
  }
});

test('add, edit, sync and delete a CalDAV account without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signUpWithoutJs(page, server.base, 'cal-nojs');
  await page.goto(`${server.base}/settings/calendars`);
  await page.getByText('No calendars connected yet').waitFor();

  // "Add CalDAV account" is a page of its own: a wrong password comes back there with why.
  await page.getByRole('button', { name: 'Add CalDAV account' }).click();
  await page.waitForURL('**/settings/calendars/add');
  await page.fill('#caldav-url', radicale.base);
  await page.fill('#caldav-username', USER);
  await page.fill('#caldav-password', 'wrong password');
  await page.getByRole('button', { name: 'Add account' }).click();
  await page.locator('.add-caldav [role=alert]', { hasText: 'username or password' }).waitFor();
  assert.match(page.url(), /\/settings\/calendars\/add/);
  // One post tests the account and adds it with every calendar it has.
  await page.fill('#caldav-url', radicale.base);
  await page.fill('#caldav-username', USER);
  await page.fill('#caldav-password', PASSWORD);
  await page.fill('#caldav-name', 'Plain Radicale');
  await page.selectOption('#caldav-frequency', '4h');
  await shot(page, '15-add-caldav-without-js');
  await page.getByRole('button', { name: 'Add account' }).click();
  await page.waitForURL(/\/settings\/calendars$/);
  const card = page.locator('.connection', { hasText: 'Plain Radicale' });
  await card.waitFor();
  // The first sync runs in the background; a reload shows where it is, then its result.
  const deadline = Date.now() + 60_000;
  while (!(await card.locator('.last-run').count())) {
    assert.ok(Date.now() < deadline, 'the first sync finished');
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
  assert.match(await card.locator('.calendar-list').textContent(), /Work/);
  assert.match(await card.locator('.calendar-list').textContent(), /Home/);
  assert.match(await card.textContent(), /every 4 hours/);

  // Edit is a page too, the form of the dialog: keep only "Work", rename, auto-log on.
  await card.getByRole('button', { name: 'Edit' }).click();
  await page.waitForURL(/\/settings\/calendars\/[^/]+\/edit$/);
  await page.getByLabel('Home').uncheck();
  await page.fill('#edit-name', 'Plain Work');
  await page.getByLabel('Log past meetings as activities automatically').check();
  // Without JavaScript the window is a number of days, the frequency a plain select.
  assert.equal(await page.locator('#edit-back').isVisible(), false);
  await page.fill('#edit-ahead-days', '45');
  await page.selectOption('#edit-frequency', '1d');
  await page.locator('.edit-connection summary', { hasText: 'Sync history' }).click();
  await page.locator('.edit-connection table.history').waitFor();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/settings\/calendars$/);
  const renamed = page.locator('.connection', { hasText: 'Plain Work' });
  await renamed.waitFor();
  assert.doesNotMatch(await renamed.locator('.calendar-list').textContent(), /Home/);
  assert.match(await renamed.textContent(), /auto-log on/);
  assert.match(await renamed.textContent(), /until 45 days ahead/);
  assert.match(await renamed.textContent(), /daily/);

  // Sync now: the page comes back once the sync is done, with what it did.
  await radicale.putEvent('work', 'plain.ics', vevent({ uid: 'plain-1', summary: 'Plain', startOffsetHours: 8 }));
  await renamed.getByRole('button', { name: 'Sync now' }).click();
  await page.waitForURL(/\/settings\/calendars\??$/);
  await page.locator('.connection', { hasText: 'Plain Work' }).locator('.last-run', { hasText: /^1 added/ }).waitFor();

  // Delete, through its confirmation.
  await page.locator('.connection', { hasText: 'Plain Work' }).locator('summary', { hasText: 'Delete' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByText('No calendars connected yet').waitFor();
  await context.close();
});
