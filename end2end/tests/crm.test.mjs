// The CRM core in a real browser: sign up, people, favorites, activities, dashboard, sign out
// and in again, and data surviving a server restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRondo, launchBrowser, hydrated, shot, signUp, signUpWithoutJs, uniqueEmail } from './support.mjs';

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

test('a new user signs up, records a person and an activity, and finds them again after a restart', async () => {
  const context = await browser.newContext({ timezoneId: 'Europe/Lisbon' });
  const page = await context.newPage();
  const email = uniqueEmail('ana');
  const password = 'a long enough password';

  // Signed-out visitors are sent to sign in.
  await page.goto(`${server.base}/`);
  await page.waitForURL('**/login');
  await hydrated(page);
  await shot(page, '01-sign-in');

  await page.click('text=Create an account');
  await page.waitForURL('**/signup');
  await hydrated(page);
  await page.fill('#name', 'Ana Tester');
  await page.fill('#email', email);
  await page.fill('#password', 'short');
  // The browser enforces minlength; bypass it to see the server's own message.
  await page.$eval('#password', (el) => el.removeAttribute('minlength'));
  await page.click('button[type=submit]');
  await page.getByRole('alert').filter({ hasText: 'at least 10 characters' }).waitFor();
  await page.fill('#password', password);
  await shot(page, '02-sign-up');
  await page.click('button[type=submit]');
  // Sign-up answers the same for known and new addresses and starts no session: sign in next.
  await page.waitForURL('**/login?signed_up=1');
  await page.getByTestId('signed-up').waitFor();
  await hydrated(page);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  assert.equal(await page.textContent('[data-testid=count-people]'), '0');

  // The time zone defaulted to the browser's.
  await page.click('nav >> text=Settings');
  await page.getByRole('heading', { name: 'Profile' }).waitFor();
  assert.equal(await page.inputValue('#time_zone'), 'Europe/Lisbon');
  await shot(page, '03-settings');

  // Create a person with two emails.
  await page.click('nav >> text=People');
  await page.getByText('No people yet').waitFor();
  await page.click('text=Add person');
  await page.getByRole('heading', { name: 'Add person' }).waitFor();
  await page.fill('#first_name', 'Zoë');
  await page.fill('#last_name', 'Ångström');
  await page.fill('#organization', 'Nordlicht GmbH');
  await page.fill('#email-0', 'zoe@nordlicht.example');
  await page.fill('#email-label-0', 'work');
  await page.click('text=Add email');
  await page.fill('#email-1', 'Zoe.Angstrom@Gmail.com');
  await page.fill('#email-label-1', 'personal');
  await shot(page, '04-person-form');
  await page.click('text=Save person');
  await page.getByRole('heading', { name: 'Zoë Ångström' }).waitFor();
  await page.getByText('zoe@nordlicht.example').waitFor();
  await page.getByText('Zoe.Angstrom@Gmail.com').waitFor();

  // Favorite them.
  const star = page.getByRole('button', { name: 'Add Zoë Ångström to favorites' });
  await star.click();
  await page.getByRole('button', { name: 'Remove Zoë Ångström from favorites' }).waitFor();

  // Log an activity.
  await page.selectOption('#activity-new-kind', 'call');
  await page.fill('#activity-new-when', '2026-05-04T15:30');
  await page.fill('#activity-new-title', 'Discussed the Q3 roadmap');
  await page.fill('#activity-new-notes', 'She wants a demo in June.');
  await page.click('text=Add activity');
  const item = page.locator('.timeline .activity', { hasText: 'Discussed the Q3 roadmap' });
  await item.waitFor();
  assert.match(await item.textContent(), /Mon 4 May 2026, 15:30/);
  await shot(page, '05-person');

  // A duplicate email on another person is refused with the owner's name.
  await page.goto(`${server.base}/people/new`);
  await hydrated(page);
  await page.fill('#first_name', 'Copy');
  await page.fill('#email-0', 'ZOE@nordlicht.example');
  await page.click('text=Save person');
  await page.getByRole('alert').filter({ hasText: 'already belongs to Zoë Ångström' }).waitFor();

  // Both show on the dashboard.
  await page.click('nav >> text=Dashboard');
  await page.locator('.favorites .person-card', { hasText: 'Zoë Ångström' }).waitFor();
  await page.locator('.recent .activity', { hasText: 'Discussed the Q3 roadmap' }).waitFor();
  assert.equal(await page.textContent('[data-testid=count-people]'), '1');
  assert.equal(await page.textContent('[data-testid=count-favorites]'), '1');
  await shot(page, '06-dashboard');

  // Search finds them by organization and without accents.
  await page.click('nav >> text=People');
  await page.fill('#q', 'angstrom');
  await page.click('.search button');
  await page.waitForURL(/\/people\?q=angstrom/);
  await page.locator('table.people', { hasText: 'Zoë Ångström' }).waitFor();
  await shot(page, '07-people');

  // Sign out, then in again.
  await page.click('text=Sign out');
  await page.waitForURL('**/login');
  await hydrated(page);
  await page.fill('#email', email);
  await page.fill('#password', 'wrong password here');
  await page.click('button[type=submit]');
  await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.locator('.favorites', { hasText: 'Zoë Ångström' }).waitFor();

  // Restart the server on the same data directory: everything is still there.
  await server.stop();
  server = await startRondo({ dataDir: server.dataDir, port: server.port });
  await page.goto(`${server.base}/people`);
  await page.locator('table.people', { hasText: 'Zoë Ångström' }).waitFor();
  await page.goto(`${server.base}/`);
  await page.locator('.recent .activity', { hasText: 'Discussed the Q3 roadmap' }).waitFor();
  await context.close();
});

test('forms work without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signUpWithoutJs(page, server.base, 'nojs');
  await page.goto(`${server.base}/people/new`);
  // "Add email" needs the client: hidden here, where the form's blank row takes a new address.
  assert.equal(await page.getByRole('button', { name: 'Add email' }).isVisible(), false);
  assert.equal(await page.locator('#email-0').isVisible(), true);
  await page.fill('#first_name', 'Plain');
  await page.fill('#last_name', 'Form');
  await page.fill('#email-0', 'plain@form.example');
  await page.click('text=Save person');
  await page.getByRole('heading', { name: 'Plain Form' }).waitFor();
  await page.fill('#activity-new-title', 'Posted without JS');
  await page.click('text=Add activity');
  await page.locator('.timeline .activity', { hasText: 'Posted without JS' }).waitFor();
  await page.click('button[aria-label="Add Plain Form to favorites"]');
  await page.locator('button[aria-label="Remove Plain Form from favorites"]').waitFor();
  await context.close();
});

test('the people list pages forward and back through its links and by a typed page number, with and without JavaScript', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, server.base, 'pager');
  // 30 people, 25 to a page; the last eight share a name (over the page boundary).
  const names = Array.from({ length: 30 }, (_, i) => (i < 22 ? `P${String(i).padStart(2, '0')}` : 'Same'));
  for (const last of names) {
    const saved = await page.request.post(`${server.base}/api/save-person`, {
      form: { 'person[first_name]': 'Pager', 'person[last_name]': last },
      headers: { accept: 'application/json' },
    });
    assert.equal(saved.status(), 200, await saved.text());
  }
  const rows = page.locator('table.people tbody tr');
  const pager = page.getByRole('navigation', { name: 'Pages' });
  const idsShown = () => page.$$eval('table.people tbody tr td:nth-child(2) a', (links) => links.map((a) => a.getAttribute('href')));

  await page.goto(`${server.base}/people`);
  await hydrated(page);
  await pager.getByText('Page 1 of 2').waitFor();
  assert.equal(await rows.count(), 25);
  const firstPage = await idsShown();
  await pager.getByRole('link', { name: 'Next →' }).click();
  await page.waitForURL(/\/people\?page=2&after=/);
  await pager.getByText('Page 2 of 2').waitFor();
  assert.equal(await rows.count(), 5);
  const secondPage = await idsShown();
  assert.equal(new Set([...firstPage, ...secondPage]).size, 30, 'every person once over the two pages');
  assert.equal(await pager.getByRole('link', { name: 'Next →' }).count(), 0);
  await pager.getByRole('link', { name: '← Previous' }).click();
  await page.waitForURL(/\/people\?page=1$/);
  await pager.getByText('Page 1 of 2').waitFor();
  assert.deepEqual(await idsShown(), firstPage);

  // The same links as plain links, server-rendered.
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: await context.storageState() });
  const noJs = await plain.newPage();
  await noJs.goto(`${server.base}/people`);
  await noJs.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Next →' }).click();
  await noJs.waitForURL(/\/people\?page=2&after=/);
  await noJs.getByRole('navigation', { name: 'Pages' }).getByText('Page 2 of 2').waitFor();
  const plainSecond = await noJs.$$eval('table.people tbody tr td:nth-child(2) a', (links) => links.map((a) => a.getAttribute('href')));
  assert.deepEqual(plainSecond, secondPage);
  await noJs.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: '← Previous' }).click();
  await noJs.waitForURL(/\/people\?page=1$/);

  // A page asked for by its number alone (a typed or bookmarked address) is the same page.
  const numbered = async (p) => {
    await p.goto(`${server.base}/people?page=2`);
    await p.getByRole('navigation', { name: 'Pages' }).getByText('Page 2 of 2').waitFor();
    return p.$$eval('table.people tbody tr td:nth-child(2) a', (links) => links.map((a) => a.getAttribute('href')));
  };
  assert.deepEqual(await numbered(noJs), secondPage);
  await page.goto(`${server.base}/people?page=2`);
  await hydrated(page);
  await pager.getByText('Page 2 of 2').waitFor();
  assert.deepEqual(await idsShown(), secondPage);
  // A newcomer sorted first moves everyone on by one: page 2 starts with page 1's last.
  const newcomer = await page.request.post(`${server.base}/api/save-person`, {
    form: { 'person[first_name]': 'Pager', 'person[last_name]': 'Aardvark' },
    headers: { accept: 'application/json' },
  });
  assert.equal(newcomer.status(), 200, await newcomer.text());
  assert.deepEqual(await numbered(noJs), [firstPage[24], ...secondPage]);
  await plain.close();
  await context.close();
});
