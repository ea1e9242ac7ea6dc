// A person's timeline: how often you meet them, and deleting an activity with an Undo, with
// and without JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRondo, launchBrowser, hydrated, shot, signUp, signUpWithoutJs } from './support.mjs';

let server;
let browser;

before(async () => {
  server = await startRondo();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** `datetime-local` text for `days` days ago at 10:00 in the browser's zone. */
function daysAgo(days) {
  const d = new Date(Date.now() - days * 86_400_000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T10:00`;
}

async function logActivity(page, kind, title, when) {
  await page.selectOption('#activity-new-kind', kind);
  await page.fill('#activity-new-when', when);
  await page.fill('#activity-new-title', title);
  await page.click('text=Add activity');
  await page.locator('.timeline .activity', { hasText: title }).waitFor();
}

test('the person page says how often you meet, and a deleted activity can be brought back', async () => {
  const context = await browser.newContext({ timezoneId: 'UTC' });
  const page = await context.newPage();
  await signUp(page, server.base, 'cadence');
  // A new account starts with a checklist.
  const checklist = page.getByRole('region', { name: 'Get started' });
  assert.match(await checklist.textContent(), /0 of 3 done/);
  await checklist.getByRole('link', { name: 'Add a person' }).click();
  await page.waitForURL('**/people/new');
  await hydrated(page);
  await page.fill('#first_name', 'Wei');
  await page.fill('#last_name', 'Chen');
  await page.click('text=Save person');
  await page.getByRole('heading', { name: 'Wei Chen' }).waitFor();
  await hydrated(page);
  assert.equal(await page.getByTestId('cadence').count(), 0, 'nothing to say before any meeting');

  await logActivity(page, 'meeting', 'Coffee', daysAgo(15));
  await logActivity(page, 'call', 'Quick call', daysAgo(8));
  await logActivity(page, 'meeting', 'Lunch', daysAgo(1));
  await logActivity(page, 'note', 'Likes green tea', daysAgo(0));
  await page.reload();
  await hydrated(page);
  assert.equal(
    (await page.getByTestId('cadence').textContent()).trim(),
    'last met yesterday · usually every 7 days',
  );

  // Delete "Lunch", then undo.
  const lunch = page.locator('.timeline .activity', { hasText: 'Lunch' });
  await lunch.locator('summary', { hasText: 'Delete' }).click();
  await lunch.getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByRole('status').filter({ hasText: 'Activity deleted.' }).waitFor();
  await page.locator('.timeline .activity', { hasText: 'Lunch' }).waitFor({ state: 'detached' });
  await shot(page, 'timeline-undo');
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.locator('.timeline .activity', { hasText: 'Lunch' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Activity deleted.' }).waitFor({ state: 'detached' });

  // The dashboard: Wei among the recently contacted, two of three first steps done.
  await page.click('nav >> text=Dashboard');
  const contacted = page.getByRole('region', { name: 'Recently contacted' });
  await contacted.getByRole('link', { name: 'Wei Chen' }).waitFor();
  assert.match(await contacted.textContent(), /Wei Chen\s*(just now|\d+ (minutes?|hours?|days?) ago)/);
  assert.match(await page.getByRole('region', { name: 'Get started' }).textContent(), /2 of 3 done/);
  await shot(page, 'dashboard-recently-contacted');
  await context.close();
});

test('times read in the profile\'s zone, not the browser\'s, in the server\'s HTML and in the client', async () => {
  // The browser is in Tokyo; the profile says New York. The client converts with the browser's
  // Intl data, the server with chrono-tz: both must show New York's wall clock.
  const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  await signUp(page, server.base, 'zones');
  await page.click('nav >> text=Settings');
  await page.getByRole('heading', { name: 'Profile' }).waitFor();
  assert.equal(await page.inputValue('#time_zone'), 'Asia/Tokyo');
  // The zone list comes from the server (the client carries no zone data).
  await page.locator('#time_zone option[value="America/New_York"]').waitFor({ state: 'attached' });
  assert.ok((await page.locator('#time_zone option').count()) > 400);
  await page.selectOption('#time_zone', 'America/New_York');
  await page.click('text=Save profile');
  await page.getByText('Profile saved.').waitFor();

  await page.click('nav >> text=People');
  await page.click('text=Add person');
  await page.getByRole('heading', { name: 'Add person' }).waitFor();
  await page.fill('#first_name', 'Ada');
  await page.fill('#last_name', 'Zone');
  await page.click('text=Save person');
  await page.getByRole('heading', { name: 'Ada Zone' }).waitFor();
  await hydrated(page);
  // 02:30 on 8 March does not exist in New York (the clocks jump to 03:00): the later reading.
  await logActivity(page, 'call', 'When the clocks jump', '2026-03-08T02:30');
  // 01:30 on 1 November happens twice: the earlier (still daylight time).
  await logActivity(page, 'note', 'When the clocks fall back', '2026-11-01T01:30');
  await logActivity(page, 'meeting', 'Summer lunch', '2026-07-04T12:15');
  const shown = () =>
    page.locator('.timeline .activity').evaluateAll((items) =>
      items.map((li) => [
        li.querySelector('.activity-title').textContent,
        li.querySelector('time').textContent,
        li.querySelector('time').getAttribute('datetime'),
      ]),
    );
  const expected = [
    ['When the clocks fall back', 'Sun 1 Nov 2026, 01:30', '2026-11-01T05:30:00+00:00'],
    ['Summer lunch', 'Sat 4 Jul 2026, 12:15', '2026-07-04T16:15:00+00:00'],
    ['When the clocks jump', 'Sun 8 Mar 2026, 03:30', '2026-03-08T07:30:00+00:00'],
  ];
  assert.deepEqual(await shown(), expected, 'rendered by the client');
  await page.reload();
  await hydrated(page);
  assert.deepEqual(await shown(), expected, 'rendered by the server');
  // The edit form reads the instant back as New York's wall clock.
  const lunch = page.locator('.timeline .activity', { hasText: 'Summer lunch' });
  await lunch.locator('summary', { hasText: 'Edit' }).click();
  assert.equal(await lunch.locator('input[type=datetime-local]').inputValue(), '2026-07-04T12:15');
  await context.close();
});

test('deleting and undoing work without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signUpWithoutJs(page, server.base, 'undo');
  await page.goto(`${server.base}/people/new`);
  await page.fill('#first_name', 'Plain');
  await page.click('text=Save person');
  await page.getByRole('heading', { name: 'Plain' }).waitFor();
  await page.fill('#activity-new-title', 'Posted without JS');
  await page.click('text=Add activity');
  const item = page.locator('.timeline .activity', { hasText: 'Posted without JS' });
  await item.waitFor();
  await item.locator('summary', { hasText: 'Delete' }).click();
  await item.getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByRole('status').filter({ hasText: 'Activity deleted.' }).waitFor();
  assert.equal(await page.locator('.timeline .activity').count(), 0);
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.locator('.timeline .activity', { hasText: 'Posted without JS' }).waitFor();
  assert.ok(!page.url().includes('deleted='), page.url());
  await context.close();
});
