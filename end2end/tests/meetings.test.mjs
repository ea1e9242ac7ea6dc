// Meetings from a real Radicale on a person's page, "Log as activity", adding an unmatched
// attendee as a person, today's meetings on the dashboard, and the user's own addresses
// (Settings → Profile) making meetings know them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signUp, signUpWithoutJs, startRondo, launchBrowser, hydrated, shot } from './support.mjs';
import { startRadicale, vevent, addCalDavAccount } from './radicale.mjs';

let server;
let browser;
let radicale;
// Alex's own calendar server: the username "alex" is no address, so Rondo cannot know that
// alex@home.example in the invitations is the user until they say so.
let alexRadicale;
const alex = { name: 'Alex Doe', email: 'alex@home.example' };
const bob = { name: 'Bob Builder', email: 'bob@builders.example' };
const erin = { name: 'Erin Example', email: 'erin@example.net' };
const pat = { name: 'Pat Pager', email: 'pat@pager.example' };
// Without JavaScript: Quinn's meeting has a guest named like a person with another address (a
// suggestion), one found by search, and a stranger.
const quinn = { name: 'Quinn Plain', email: 'quinn@plain.example' };
const dana = { name: 'Dana Doe', email: 'dana@work.example' };
const sam = { name: 'Sam Smith', email: 'sam@guest.example' };

before(async () => {
  radicale = await startRadicale();
  await radicale.makeCalendar('work', 'Work', '#e8590c');
  await radicale.putEvent('work', 'review.ics', vevent({ uid: 'review-1', summary: 'Design review', startOffsetHours: -30, attendees: [bob] }));
  await radicale.putEvent('work', 'planning.ics', vevent({ uid: 'planning-1', summary: 'Planning', startOffsetHours: 26, attendees: [bob, erin] }));
  // Ended an hour ago: today's, dimmed in the widget (unless the hour is midnight UTC's).
  await radicale.putEvent('work', 'early.ics', vevent({ uid: 'early-1', summary: 'Early call', startOffsetHours: -1, durationMinutes: 30 }));
  await radicale.putEvent('work', 'standup.ics', vevent({ uid: 'standup-1', summary: 'Standup', startOffsetHours: 0, durationMinutes: 60, attendees: [bob] }));
  // Pat: twelve past meetings ("Past 01" the newest), one upcoming call and a cancelled one.
  for (let i = 1; i <= 12; i++) {
    const n = String(i).padStart(2, '0');
    await radicale.putEvent('work', `past-${n}.ics`, vevent({ uid: `past-${n}`, summary: `Past ${n}`, startOffsetHours: -48 - 24 * i, attendees: [pat] }));
  }
  await radicale.putEvent('work', 'call.ics', vevent({ uid: 'call-1', summary: 'Pat call', startOffsetHours: 50, attendees: [pat], extra: ['LOCATION:https://zoom.us/j/111222333'] }));
  await radicale.putEvent('work', 'called-off.ics', vevent({ uid: 'called-off-1', summary: 'Called off', startOffsetHours: 52, attendees: [pat], extra: ['LOCATION:https://zoom.us/j/444555666', 'STATUS:CANCELLED'] }));
  await radicale.putEvent('work', 'quinn.ics', vevent({ uid: 'quinn-1', summary: 'Quinn review', startOffsetHours: -40, attendees: [quinn, dana, sam, erin] }));
  alexRadicale = await startRadicale({ user: 'alex', password: 'alex-radicale-pw' });
  await alexRadicale.makeCalendar('work', 'Work', '#1971c2');
  const me = (partstat) => ({ ...alex, partstat });
  await alexRadicale.putEvent('work', 'declined.ics', vevent({ uid: 'declined-1', summary: 'Declined sync', startOffsetHours: -30, attendees: [bob, me('DECLINED')] }));
  await alexRadicale.putEvent('work', 'tentative.ics', vevent({ uid: 'tentative-1', summary: 'Tentative sync', startOffsetHours: -50, attendees: [bob, me('TENTATIVE')] }));
  await alexRadicale.putEvent('work', 'accepted.ics', vevent({ uid: 'accepted-1', summary: 'Accepted sync', startOffsetHours: -70, attendees: [bob, me('ACCEPTED')] }));
  await alexRadicale.putEvent('work', 'skipped.ics', vevent({ uid: 'skipped-1', summary: 'Skipped standup', startOffsetHours: 0, attendees: [bob, me('DECLINED')] }));
  await alexRadicale.putEvent('work', 'maybe.ics', vevent({ uid: 'maybe-1', summary: 'Maybe standup', startOffsetHours: 0, attendees: [bob, me('TENTATIVE')] }));
  server = await startRondo({ env: { RONDO_ALLOW_PRIVATE_SERVERS: 'true' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await radicale?.stop();
  await alexRadicale?.stop();
});

async function openPerson(page, name) {
  await page.click('nav >> text=People');
  await page.getByRole('link', { name }).first().click();
  await page.getByRole('heading', { name }).waitFor();
}

test('meetings on a person, log as activity, add an attendee, today on the dashboard', { timeout: 180_000 }, async () => {
  const context = await browser.newContext({ timezoneId: 'UTC' });
  const page = await context.newPage();
  await signUp(page, server.base, 'meet');
  assert.equal(await page.locator('.today').count(), 0, 'no widget before a calendar is connected');

  // Bob exists before the calendar is connected; his meetings are matched during the sync.
  await page.click('nav >> text=People');
  await page.click('text=Add person');
  await page.getByRole('heading', { name: 'Add person' }).waitFor();
  await page.fill('#first_name', 'Bob');
  await page.fill('#last_name', 'Builder');
  await page.fill('#email-0', bob.email);
  await page.click('text=Save person');
  await page.getByRole('heading', { name: 'Bob Builder' }).waitFor();

  await addCalDavAccount(page, radicale, 'Work calendar');

  // Dashboard: today's meeting in progress, marked "now", with Bob linked.
  await page.click('nav >> text=Dashboard');
  const today = page.locator('.today');
  await today.waitFor();
  const standup = today.locator('.today-item', { hasText: 'Standup' });
  await standup.waitFor();
  await standup.locator('.now-marker').waitFor();
  assert.match(await standup.locator('.today-people').textContent(), /Bob Builder/);
  assert.match(await standup.getAttribute('class'), /\bnow\b/, 'the meeting in progress is highlighted');
  if (new Date().getUTCHours() >= 1) {
    const early = today.locator('.today-item', { hasText: 'Early call' });
    assert.match(await early.getAttribute('class'), /\bdone\b/, 'an ended meeting is dimmed');
    assert.doesNotMatch(await early.getAttribute('class'), /\bnow\b/);
  }
  await shot(page, '20-dashboard-today');

  // Day navigation: the title names the day, the badge counts its meetings, links work.
  const heading = today.locator('#today-heading');
  assert.match(await heading.textContent(), /^Today · /);
  assert.equal(Number(await today.getByTestId('today-count').textContent()), await today.locator('.today-item').count());
  // Planning is 26 hours ahead: open its day (UTC, the browser's zone here) with "›" steps.
  const iso = (d) => d.toISOString().slice(0, 10);
  const planningStart = new Date(Date.now() + 26 * 3600_000);
  const stepsAhead = Math.round((Date.parse(iso(planningStart)) - Date.parse(iso(new Date()))) / 86_400_000);
  for (let i = 0; i < stepsAhead; i++) {
    await today.getByRole('link', { name: 'Next day' }).click();
  }
  await page.waitForURL(`**/?day=${iso(planningStart)}`);
  await today.locator('.today-item', { hasText: 'Planning' }).waitFor();
  assert.doesNotMatch(await heading.textContent(), /Today/);
  assert.equal(await today.locator('.today-item', { hasText: 'Standup' }).count(), 0);
  await today.getByRole('link', { name: 'Today' }).click();
  await today.locator('.today-item', { hasText: 'Standup' }).waitFor();
  assert.match(await heading.textContent(), /^Today · /);

  // Bob's page: upcoming soonest first, then past with "Log as activity".
  await openPerson(page, 'Bob Builder');
  const meetings = page.locator('section.meetings');
  await meetings.locator('.meeting', { hasText: 'Planning' }).waitFor();
  const titles = await meetings.locator('.meeting h3').allTextContents();
  assert.deepEqual(titles, ['Standup', 'Planning']);
  const planning = meetings.locator('.meeting', { hasText: 'Planning' });
  assert.equal(await planning.getByRole('link', { name: 'Join' }).count(), 0);
  assert.equal(await planning.locator('a.matched', { hasText: 'Bob Builder' }).count(), 1);
  assert.match(await planning.locator('a.matched').getAttribute('title'), /primary email/);

  await meetings.getByRole('tab', { name: 'Past' }).click();
  const review = meetings.locator('.meeting', { hasText: 'Design review' });
  await review.waitFor();
  await review.getByRole('button', { name: 'Log as activity' }).click();
  await review.getByRole('link', { name: 'Logged ✓' }).waitFor();
  await page.locator('.timeline .activity', { hasText: 'Design review' }).waitFor();
  await shot(page, '21-person-meetings');
  // After a full reload the meeting still shows as logged, and there is exactly one activity.
  await page.reload();
  await hydrated(page);
  await page.locator('section.meetings').getByRole('tab', { name: 'Past' }).click();
  await page.locator('.meeting', { hasText: 'Design review' }).getByRole('link', { name: 'Logged ✓' }).waitFor();
  assert.equal(await page.locator('.timeline .activity', { hasText: 'Design review' }).count(), 1);

  // The meeting's own page: notes saved as typed, kept, and shown on the logged activity.
  await page.locator('.meeting', { hasText: 'Design review' }).getByRole('link', { name: 'Design review' }).click();
  await page.getByRole('heading', { name: 'Design review', level: 1 }).waitFor();
  const meetingUrl = page.url();
  assert.match(meetingUrl, /\/meetings\//);
  await page.locator('.attendees a.matched', { hasText: 'Bob Builder' }).waitFor();
  await page.fill('#meeting-notes', 'Agreed on the new layout.');
  await page.getByTestId('notes-status').filter({ hasText: /^Saved$/ }).waitFor();
  await shot(page, '23-meeting-page');
  await page.reload();
  await hydrated(page);
  assert.equal(await page.inputValue('#meeting-notes'), 'Agreed on the new layout.');
  await page.locator('.attendees a.matched', { hasText: 'Bob Builder' }).click();
  await page.getByRole('heading', { name: 'Bob Builder' }).waitFor();
  await page.locator('.timeline .activity', { hasText: 'Design review' })
    .locator('.meeting-notes-shown', { hasText: 'Agreed on the new layout.' }).waitFor();
  await page.reload();
  await hydrated(page);
  // Without JavaScript the Save button posts the notes.
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: await context.storageState() });
  const noJs = await plain.newPage();
  await noJs.goto(meetingUrl);
  await noJs.fill('#meeting-notes', 'Edited without JavaScript.');
  await noJs.click('text=Save notes');
  await noJs.waitForLoadState('load');
  assert.equal(noJs.url().replace(/\?$/, ''), meetingUrl, 'back on the meeting, no error');
  assert.equal(await noJs.inputValue('#meeting-notes'), 'Edited without JavaScript.');
  await plain.close();

  // Erin is not one of our people yet: add her in one click from the meeting.
  await page.locator('section.meetings').getByRole('tab', { name: 'Upcoming' }).click();
  const planningAgain = page.locator('.meeting', { hasText: 'Planning' });
  await planningAgain.waitFor();
  await planningAgain.locator('.attendee', { hasText: erin.name }).locator('summary', { hasText: 'Add…' }).click();
  await planningAgain.getByRole('button', { name: 'Add as new person' }).click();
  const erinLink = page.locator('.meeting', { hasText: 'Planning' }).locator('a.matched', { hasText: 'Erin Example' });
  await erinLink.waitFor();
  await erinLink.click();
  await page.getByRole('heading', { name: 'Erin Example' }).waitFor();
  await page.locator('section.meetings .meeting', { hasText: 'Planning' }).waitFor();
  await shot(page, '22-new-person-from-attendee');

  // A meeting added on the server and synced shows up by itself within a minute, no reload.
  await radicale.putEvent('work', 'coffee.ics', vevent({ uid: 'coffee-1', summary: 'Coffee', startOffsetHours: 0, durationMinutes: 30 }));
  // The widget refreshes itself once a minute: wait for it in real time (Playwright's fake clock
  // stalls hydration of pages with suspended resources).
  const clocked = await context.newPage();
  await clocked.goto(`${server.base}/`);
  await hydrated(clocked);
  const todayClocked = clocked.locator('.today');
  await todayClocked.locator('.today-item', { hasText: 'Standup' }).waitFor();
  const connections = await (await clocked.request.post(`${server.base}/api/list-connections`, { headers: { accept: 'application/json' } })).json();
  const synced = await clocked.request.post(`${server.base}/api/sync-connection`, { form: { id: connections[0].id }, headers: { accept: 'application/json' } });
  assert.equal((await synced.json()).added, 1);
  assert.equal(await todayClocked.locator('.today-item', { hasText: 'Coffee' }).count(), 0);
  await todayClocked.locator('.today-item', { hasText: 'Coffee' }).waitFor({ timeout: 75_000 });
});

test('past meetings page past ten; cancelled meetings offer no Join', { timeout: 180_000 }, async () => {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, server.base, 'pager');
  await page.click('nav >> text=People');
  await page.click('text=Add person');
  await page.getByRole('heading', { name: 'Add person' }).waitFor();
  await page.fill('#first_name', 'Pat');
  await page.fill('#last_name', 'Pager');
  await page.fill('#email-0', pat.email);
  await page.click('text=Save person');
  await page.getByRole('heading', { name: 'Pat Pager' }).waitFor();
  await addCalDavAccount(page, radicale, 'Pager calendar');
  await openPerson(page, 'Pat Pager');
  const meetings = page.locator('section.meetings');

  // Upcoming: the call has its Join link, the cancelled one none.
  const call = meetings.locator('.meeting', { hasText: 'Pat call' });
  await call.waitFor();
  assert.equal(await call.getByRole('link', { name: 'Join' }).count(), 1);
  const calledOff = meetings.locator('.meeting', { hasText: 'Called off' });
  await calledOff.locator('.tag', { hasText: 'Cancelled' }).waitFor();
  assert.equal(await calledOff.getByRole('link', { name: 'Join' }).count(), 0);

  await meetings.getByRole('tab', { name: 'Past' }).click();
  await meetings.locator('.meeting', { hasText: 'Past 01' }).waitFor();
  assert.equal(await meetings.locator('.meeting').count(), 10);
  const pager = meetings.locator('nav.pager');
  assert.equal((await pager.locator('span').textContent()).trim(), 'Page 1 of 2');
  assert.equal(await pager.getByRole('link', { name: '← Previous', exact: true }).count(), 0);
  await pager.getByRole('link', { name: 'Next →', exact: true }).click();
  await meetings.locator('.meeting', { hasText: 'Past 11' }).waitFor();
  assert.match(page.url(), /meetings=past&meetings_page=2/);
  assert.deepEqual(await meetings.locator('.meeting h3').allTextContents(), ['Past 11', 'Past 12']);
  assert.equal((await pager.locator('span').textContent()).trim(), 'Page 2 of 2');
  assert.equal(await pager.getByRole('link', { name: 'Next →', exact: true }).count(), 0);
  await pager.getByRole('link', { name: '← Previous', exact: true }).click();
  await meetings.locator('.meeting', { hasText: 'Past 01' }).waitFor();
  // Loaded as it is (past, page 2, rendered by the server), the page hydrates without a word in
  // the console: no hydration error or warning, nothing else either.
  const said = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') said.push(m.text()); });
  page.on('pageerror', (e) => said.push(String(e)));
  await page.goto(`${page.url().split('?')[0]}?meetings=past&meetings_page=2`);
  await hydrated(page);
  await meetings.locator('.meeting', { hasText: 'Past 12' }).waitFor();
  await meetings.getByRole('tab', { name: 'Upcoming' }).click();
  await meetings.locator('.meeting', { hasText: 'Pat call' }).waitFor();
  await page.locator('section.timeline-section').waitFor();
  assert.deepEqual(said, []);
  await shot(page, '23-past-meetings-pager');
});

test('your own address: no "Add as new person" for you, declines not logged and marked', { timeout: 180_000 }, async () => {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, server.base, 'alex');
  await page.click('nav >> text=People');
  await page.click('text=Add person');
  await page.getByRole('heading', { name: 'Add person' }).waitFor();
  await page.fill('#first_name', 'Bob');
  await page.fill('#last_name', 'Builder');
  await page.fill('#email-0', bob.email);
  await page.click('text=Save person');
  await page.getByRole('heading', { name: 'Bob Builder' }).waitFor();

  // Settings → Profile: the sign-in address is listed; add the calendar address.
  await page.click('nav >> text=Settings');
  const mine = page.locator('section.my-addresses');
  await mine.locator('.my-address', { hasText: 'your sign-in address' }).waitFor();
  await page.fill('#my-address', alex.email);
  await mine.getByRole('button', { name: 'Add address' }).click();
  await mine.locator('.my-address', { hasText: alex.email }).locator('.meta', { hasText: 'added by you' }).waitFor();
  await page.waitForFunction(() => document.querySelector('#my-address').value === '');
  await shot(page, '24-my-addresses');

  // Connect alex's calendar, switch auto-logging on, sync.
  await addCalDavAccount(page, alexRadicale, 'Alex calendar');
  const card = page.locator('.connection', { hasText: 'Alex calendar' });
  await card.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  await edit.getByLabel('Log past meetings as activities automatically').check();
  await edit.getByRole('button', { name: 'Save' }).click();
  await edit.waitFor({ state: 'detached' });
  // The saved edit re-creates the cards: sync from the new one, which shows the setting.
  await card.locator('.sync-prefs', { hasText: 'auto-log on' }).waitFor();
  await card.getByRole('button', { name: 'Sync now' }).click();
  await card.locator('.sync-result', { hasText: '0 added, 0 changed, 0 removed, 2 logged' }).waitFor();

  // Bob's past meetings: you are "you" with nothing to add; your answers are marked; only
  // the meetings you did not decline were logged.
  await openPerson(page, 'Bob Builder');
  const meetings = page.locator('section.meetings');
  await meetings.getByRole('tab', { name: 'Past' }).click();
  const declined = meetings.locator('.meeting', { hasText: 'Declined sync' });
  await declined.waitFor();
  for (const title of ['Declined sync', 'Tentative sync', 'Accepted sync']) {
    const you = meetings.locator('.meeting', { hasText: title }).locator('.attendee', { hasText: alex.name });
    await you.waitFor();
    assert.match(await you.locator('.meta').textContent(), /\(you\)/, title);
    assert.equal(await you.locator('summary', { hasText: 'Add…' }).count(), 0, `${title}: no "Add…" for you`);
    assert.equal(await you.getByRole('button', { name: 'Add as new person' }).count(), 0, title);
  }
  await declined.locator('.tag', { hasText: 'You declined' }).waitFor();
  assert.match(await declined.getAttribute('class'), /\bdeclined\b/);
  assert.equal(await declined.getByRole('button', { name: 'Log as activity' }).count(), 1, 'not auto-logged');
  const tentative = meetings.locator('.meeting', { hasText: 'Tentative sync' });
  await tentative.locator('.tag', { hasText: 'Tentative' }).waitFor();
  await tentative.getByRole('link', { name: 'Logged ✓' }).waitFor();
  await meetings.locator('.meeting', { hasText: 'Accepted sync' }).getByRole('link', { name: 'Logged ✓' }).waitFor();
  const timeline = page.locator('.timeline');
  await timeline.locator('.activity', { hasText: 'Accepted sync' }).waitFor();
  assert.equal(await timeline.locator('.activity', { hasText: 'Declined sync' }).count(), 0);
  await shot(page, '25-you-declined');

  // Today's widget marks them too.
  await page.click('nav >> text=Dashboard');
  const skipped = page.locator('.today .today-item', { hasText: 'Skipped standup' });
  await skipped.locator('.tag', { hasText: 'You declined' }).waitFor();
  assert.match(await skipped.getAttribute('class'), /\bdeclined\b/);
  await page.locator('.today .today-item', { hasText: 'Maybe standup' }).locator('.tag', { hasText: 'Tentative' }).waitFor();
});

test('your addresses are added and removed without JavaScript', { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signUpWithoutJs(page, server.base, 'nojs-me');
  await page.goto(`${server.base}/settings`);
  await page.fill('#my-address', 'plain@home.example');
  await page.click('text=Add address');
  const added = page.locator('.my-address', { hasText: 'plain@home.example' });
  await added.waitFor();
  await added.getByRole('button', { name: 'Remove plain@home.example' }).click();
  await page.locator('.my-address', { hasText: 'your sign-in address' }).waitFor();
  assert.equal(await page.locator('.my-address', { hasText: 'plain@home.example' }).count(), 0);
  await context.close();
});

/** Reloads Settings → Calendars until the first sync of the connection named `name` is done. */
async function firstSyncDone(page, base, name) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await page.goto(`${base}/settings/calendars`);
    const card = page.locator('.connection', { hasText: name });
    if (await card.locator('.last-run').count()) return card;
    if (Date.now() > deadline) throw new Error(`the first sync of ${name} did not finish`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function addPersonWithoutJs(page, first, last, email) {
  await page.goto(`${server.base}/people/new`);
  await page.fill('#first_name', first);
  await page.fill('#last_name', last);
  await page.fill('#email-0', email);
  await page.click('text=Save person');
  await page.getByRole('heading', { name: `${first} ${last}` }).waitFor();
  return page.url();
}

test('meetings on a person page and every meeting action work without JavaScript', { timeout: 180_000 }, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, timezoneId: 'UTC' });
  const page = await context.newPage();
  await signUpWithoutJs(page, server.base, 'nojs-meet');
  const patPage = await addPersonWithoutJs(page, 'Pat', 'Pager', pat.email);
  const quinnPage = await addPersonWithoutJs(page, 'Quinn', 'Plain', quinn.email);
  await addPersonWithoutJs(page, 'Dana', 'Doe', 'dana@home.example');
  await addPersonWithoutJs(page, 'Samantha', 'Smith', 'samantha@home.example');

  // Connect the calendar with the form of its own (one post: connect, find, add them all).
  await page.goto(`${server.base}/settings/calendars`);
  await page.getByRole('button', { name: 'Add CalDAV account' }).click();
  await page.waitForURL('**/settings/calendars/add');
  await page.fill('#caldav-url', radicale.base);
  await page.fill('#caldav-username', radicale.user);
  await page.fill('#caldav-password', radicale.password);
  await page.fill('#caldav-name', 'Plain calendar');
  await page.getByRole('button', { name: 'Add account' }).click();
  await page.waitForURL(/\/settings\/calendars$/);
  await firstSyncDone(page, server.base, 'Plain calendar');

  // Pat's page: the meetings are in the page as the server sent it, upcoming first.
  await page.goto(patPage);
  const meetings = page.locator('section.meetings');
  await meetings.locator('.meeting', { hasText: 'Pat call' }).waitFor();
  assert.equal(await meetings.locator('.meeting', { hasText: 'Past 01' }).count(), 0);
  // Past, paged by links.
  await meetings.getByRole('tab', { name: 'Past' }).click();
  await page.waitForURL(/meetings=past/);
  assert.equal(await meetings.locator('.meeting').count(), 10);
  assert.equal(await meetings.locator('.meeting h3').first().textContent(), 'Past 01');
  await meetings.getByRole('link', { name: 'Next →' }).click();
  await page.waitForURL(/meetings_page=2/);
  assert.deepEqual(await meetings.locator('.meeting h3').allTextContents(), ['Past 11', 'Past 12']);
  assert.equal((await meetings.locator('nav.pager span').textContent()).trim(), 'Page 2 of 2');
  await meetings.getByRole('link', { name: '← Previous' }).click();
  await page.waitForURL((url) => !url.search.includes('meetings_page'));
  // A date range (a GET form) narrows the list: the days around "Past 01" (three days ago).
  const day = (offsetDays) => new Date(Date.now() - 72 * 3600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);
  await page.fill('#meetings-from', day(-1));
  await page.fill('#meetings-to', day(1));
  await meetings.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/from=/);
  await meetings.locator('.meeting', { hasText: 'Past 01' }).waitFor();
  assert.equal(await meetings.locator('.meeting', { hasText: 'Past 05' }).count(), 0);
  assert.match(page.url(), /meetings=past/);
  await meetings.getByRole('link', { name: 'Clear' }).click();
  await page.waitForURL((url) => !url.search.includes('from='));
  await meetings.locator('.meeting', { hasText: 'Past 05' }).waitFor();

  // Log as activity: back on the same page, the meeting marked and on the timeline once.
  const past01 = meetings.locator('.meeting', { hasText: 'Past 01' });
  await past01.getByRole('button', { name: 'Log as activity' }).click();
  await page.waitForLoadState('load');
  assert.match(page.url(), /meetings=past/, 'back where the button was');
  await meetings.locator('.meeting', { hasText: 'Past 01' }).getByRole('link', { name: 'Logged ✓' }).waitFor();
  assert.equal(await page.locator('.timeline .activity', { hasText: 'Past 01' }).count(), 1);

  // Quinn's meeting: Dana is suggested by name, Sam is found by search.
  await page.goto(`${quinnPage}?meetings=past`);
  const review = page.locator('.meeting', { hasText: 'Quinn review' });
  await review.waitFor();
  const danaRow = review.locator('.attendee', { hasText: dana.name });
  await danaRow.locator('summary', { hasText: 'Add…' }).click();
  await danaRow.getByRole('button', { name: 'This is Dana Doe' }).click();
  await page.waitForLoadState('load');
  await page.locator('.meeting', { hasText: 'Quinn review' }).locator('a.matched', { hasText: 'Dana Doe' }).waitFor();

  const samRow = page.locator('.meeting', { hasText: 'Quinn review' }).locator('.attendee', { hasText: sam.name });
  await samRow.locator('summary', { hasText: 'Add…' }).click();
  await samRow.getByLabel('Find a person').fill('Samantha');
  await samRow.getByRole('button', { name: 'Find' }).click();
  await page.waitForURL(/link=sam%40guest\.example&find=Samantha/);
  assert.match(page.url(), /meetings=past/, "the search keeps the page's tab");
  const found = page.locator('.meeting', { hasText: 'Quinn review' }).locator('.attendee', { hasText: sam.name });
  await found.getByRole('button', { name: 'Link to Samantha Smith' }).click();
  await page.waitForLoadState('load');
  await page.locator('.meeting', { hasText: 'Quinn review' }).locator('a.matched', { hasText: 'Samantha Smith' }).waitFor();
  await shot(page, '26-meetings-without-js');

  // Add as new person, from the meeting's own page this time: Erin is nobody yet.
  await page.locator('.meeting', { hasText: 'Quinn review' }).getByRole('link', { name: 'Quinn review' }).click();
  await page.getByRole('heading', { name: 'Quinn review', level: 1 }).waitFor();
  const meetingUrl = page.url();
  const erinRow = page.locator('.attendee', { hasText: erin.name });
  await erinRow.locator('summary', { hasText: 'Add…' }).click();
  await erinRow.getByRole('button', { name: 'Add as new person' }).click();
  await page.waitForLoadState('load');
  assert.equal(page.url().replace(/\?$/, ''), meetingUrl, 'back on the meeting');
  await page.locator('.attendees a.matched', { hasText: erin.name }).click();
  await page.getByRole('heading', { name: erin.name }).waitFor();

  // A refused action comes back to the page it was posted from and says why, once, above the
  // card (posted as a browser without JavaScript does: Erin's address is hers, not Quinn's).
  const quinnId = quinnPage.split('/').pop();
  const refused = await page.request.post(`${server.base}/api/link-attendee`, {
    form: { person_id: quinnId, email: erin.email },
    headers: { accept: 'text/html', referer: meetingUrl, origin: server.base },
    maxRedirects: 0,
  });
  assert.equal(refused.status(), 302);
  const back = refused.headers().location;
  assert.ok(back.startsWith(meetingUrl) && back.includes('__err='), back);
  await page.goto(new URL(back, server.base).href);
  await page.locator('.meeting-page > .error', { hasText: 'Erin Example' }).waitFor();
  assert.equal(await page.locator('.error').count(), 1, 'said once, not on every card');
  await context.close();
});
