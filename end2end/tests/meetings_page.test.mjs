// The Meetings page with events synced from a real Radicale: the Upcoming / This week / Past
// and All / Unmatched filters as links, a meeting whose guests are all unknown, a suggestion
// that appears once a person named like a guest exists, and "Add all unknown guests" with
// JavaScript and as a plain form post.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signUp, startRondo, launchBrowser, hydrated, shot } from './support.mjs';
import { startRadicale, vevent, addCalDavAccount } from './radicale.mjs';

let server;
let browser;
let radicale;
const bob = { name: 'Bob Builder', email: 'bob@builders.example' };
const kim = { name: 'Kim Lee', email: 'kim@lee.example' };
const pat = { name: 'Pat Newman', email: 'pat@new.example' };
const uma = { name: 'Uma Vance', email: 'uma@vance.example' };
const val = { name: 'Val Kerr', email: 'val@kerr.example' };
// A name with a comma must be quoted in iCalendar.
const wei = 'ATTENDEE;CN="Chen, Wei";PARTSTAT=ACCEPTED:mailto:wei@corp.example';

before(async () => {
  radicale = await startRadicale();
  await radicale.makeCalendar('work', 'Work', '#2f9e44');
  // In progress now, so always this week; every guest unknown.
  await radicale.putEvent('work', 'intro.ics', vevent({ uid: 'intro-1', summary: 'Intro call', startOffsetHours: 0, durationMinutes: 180, attendees: [kim], extra: [wei] }));
  await radicale.putEvent('work', 'team.ics', vevent({ uid: 'team-1', summary: 'Team sync', startOffsetHours: 26, attendees: [bob] }));
  await radicale.putEvent('work', 'board.ics', vevent({ uid: 'board-1', summary: 'Board prep', startOffsetHours: -30, attendees: [bob, pat] }));
  await radicale.putEvent('work', 'vendor.ics', vevent({ uid: 'vendor-1', summary: 'Vendor review', startOffsetHours: -50, attendees: [uma, val] }));
  await radicale.putEvent('work', 'offsite.ics', vevent({ uid: 'offsite-1', summary: 'Old offsite', startOffsetHours: -240, attendees: [bob] }));
  server = await startRondo({ env: { RONDO_ALLOW_PRIVATE_SERVERS: 'true' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await radicale?.stop();
});

async function addPerson(page, first, last, email) {
  await page.click('nav >> text=People');
  await page.click('text=Add person');
  await page.getByRole('heading', { name: 'Add person' }).waitFor();
  await page.fill('#first_name', first);
  await page.fill('#last_name', last);
  if (email) await page.fill('#email-0', email);
  await page.click('text=Save person');
  await page.getByRole('heading', { name: `${first} ${last}` }).waitFor();
}

const row = (page, title) => page.locator('.meeting-row', { hasText: title });

/** Waits until the list of `nav` (When or Guests) marks `label` as the current tab: while the
 * next list loads, the previous one stays on screen. */
async function current(page, nav, label) {
  await page.locator(`nav[aria-label="${nav}"] a[aria-current="page"]`, { hasText: label }).waitFor();
}

test('the Meetings page filters, suggests and adds all unknown guests, with and without JavaScript', { timeout: 180_000 }, async () => {
  const context = await browser.newContext({ timezoneId: 'UTC' });
  const page = await context.newPage();
  await signUp(page, server.base, 'meetings-page');
  await addPerson(page, 'Bob', 'Builder', bob.email);
  await addCalDavAccount(page, radicale, 'Work calendar');

  // Upcoming, soonest first: the meeting nobody on it is known is there, its guests unknown.
  await page.click('nav >> text=Meetings');
  await page.getByRole('heading', { name: 'Meetings', level: 1 }).waitFor();
  await row(page, 'Intro call').waitFor();
  assert.deepEqual(await page.locator('.meeting-row .row-title').allTextContents(), ['Intro call', 'Team sync']);
  const intro = row(page, 'Intro call');
  assert.equal(await intro.locator('.unknown-guests .attendee').count(), 2);
  await intro.getByRole('button', { name: 'Add all 2 unknown guests' }).waitFor();
  await row(page, 'Team sync').locator('a.matched', { hasText: 'Bob Builder' }).waitFor();
  assert.equal(await row(page, 'Team sync').getByRole('button', { name: /unknown guest/ }).count(), 0);
  await shot(page, '30-meetings-page');

  // Unmatched: plain links with query parameters.
  await page.getByRole('navigation', { name: 'Guests' }).getByRole('link', { name: /Unmatched/ }).click();
  await page.waitForURL('**/meetings?unmatched=1');
  await current(page, 'Guests', 'Unmatched');
  await row(page, 'Intro call').waitFor();
  await row(page, 'Team sync').waitFor({ state: 'detached' });
  // This week, still unmatched only; then all of this week: the offsite ten days ago is not.
  await page.getByRole('navigation', { name: 'When' }).getByRole('link', { name: /This week/ }).click();
  await page.waitForURL('**/meetings?when=week&unmatched=1');
  await current(page, 'When', 'This week');
  await row(page, 'Intro call').waitFor();
  await page.getByRole('navigation', { name: 'Guests' }).getByRole('link', { name: /All/ }).click();
  await page.waitForURL('**/meetings?when=week');
  await current(page, 'Guests', 'All');
  await row(page, 'Intro call').waitFor();
  assert.equal(await row(page, 'Old offsite').count(), 0);
  // A reload keeps the filter (also before the client is there).
  await page.reload();
  await hydrated(page);
  await current(page, 'When', 'This week');
  await current(page, 'Guests', 'All');

  // Past, unmatched: a person named like a guest is suggested at once.
  await page.goto(`${server.base}/meetings?when=past&unmatched=1`);
  await hydrated(page);
  await row(page, 'Board prep').waitFor();
  await addPerson(page, 'Pat', 'Newman', '');
  await page.goto(`${server.base}/meetings?when=past&unmatched=1`);
  await hydrated(page);
  const board = row(page, 'Board prep');
  await board.locator('.attendee', { hasText: pat.name }).locator('summary', { hasText: 'Add…' }).click();
  await board.getByRole('button', { name: 'This is Pat Newman' }).waitFor();

  // With JavaScript: add both guests of the intro call in one step; the row says so and
  // shows them as your people.
  await page.goto(`${server.base}/meetings`);
  await hydrated(page);
  await row(page, 'Intro call').getByRole('button', { name: 'Add all 2 unknown guests' }).click();
  await row(page, 'Intro call').locator('.notice', { hasText: 'Added 2 people.' }).waitFor();
  await row(page, 'Intro call').locator('a.matched', { hasText: 'Wei Chen' }).waitFor();
  await row(page, 'Intro call').locator('a.matched', { hasText: 'Kim Lee' }).waitFor();
  assert.equal(await row(page, 'Intro call').locator('.unknown-guests').count(), 0);
  assert.match(page.url(), /\/meetings$/, 'no reload, no redirect');
  await shot(page, '31-meetings-added');
  // Rows with guests and their fixes fit a 390 px phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.base}/meetings?when=past`);
  await hydrated(page);
  await row(page, 'Vendor review').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, 'wider than a phone');
  await shot(page, '32-meetings-phone');

  // Without JavaScript: the same button is a form post that comes back with the result. The
  // meeting leaves "Unmatched", so the result is said above the list.
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: await context.storageState() });
  const noJs = await plain.newPage();
  await noJs.goto(`${server.base}/meetings?when=past&unmatched=1`);
  await row(noJs, 'Vendor review').getByRole('button', { name: 'Add all 2 unknown guests' }).click();
  await noJs.waitForURL(/added=2/);
  assert.match(noJs.url(), /when=past&unmatched=1/, 'the filter is kept');
  await noJs.locator('.notice', { hasText: 'Added 2 people.' }).waitFor();
  assert.equal(await row(noJs, 'Vendor review').count(), 0);
  await noJs.goto(`${server.base}/meetings?when=past`);
  await row(noJs, 'Vendor review').locator('a.matched', { hasText: uma.name }).waitFor();
  await row(noJs, 'Vendor review').locator('a.matched', { hasText: val.name }).waitFor();
  await plain.close();
});
