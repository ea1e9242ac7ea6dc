// Limits and layout: overlong input gets a clear error (never a server fault), and long names,
// addresses and links wrap instead of widening the page, on a desktop and on a 390 px phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRondo, launchBrowser, hydrated, shot, signUp } from './support.mjs';

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

/** Collects every answer the server gave with a 5xx status. */
function watchServerFaults(page) {
  const faults = [];
  page.on('response', (r) => { if (r.status() >= 500) faults.push(`${r.status()} ${r.url()}`); });
  return faults;
}

/** How far the page is wider than the window (0 when nothing sticks out). */
async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

test('a name past the limit is refused with a clear error, a 400 and nothing lost', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const faults = watchServerFaults(page);
  await signUp(page, server.base, 'limits');
  await page.goto(`${server.base}/people/new`);
  await hydrated(page);
  assert.equal(await page.getAttribute('#first_name', 'maxlength'), '100');
  // The browser stops typing at maxlength; a form is only a hint, so the server checks again.
  await page.$eval('#first_name', (el) => el.removeAttribute('maxlength'));
  const name = 'N'.repeat(5000);
  await page.fill('#first_name', name);
  await page.fill('#last_name', 'Longname');
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/save-person'));
  await page.click('text=Save person');
  assert.equal((await answer).status(), 400);
  await page.getByRole('alert')
    .filter({ hasText: 'The first name is too long (5000 characters); at most 100 are allowed.' })
    .waitFor();
  // What was typed is still there to shorten.
  assert.equal((await page.inputValue('#first_name')).length, 5000);
  assert.equal(await page.inputValue('#last_name'), 'Longname');
  assert.deepEqual(faults, []);
  await context.close();
});

test('long words wrap on a desktop and every page fits a 390 px phone', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const faults = watchServerFaults(page);
  await signUp(page, server.base, 'layout');
  const longWord = 'Supercalifragilistic'.repeat(5); // 100 characters, no break
  await page.goto(`${server.base}/people/new`);
  await hydrated(page);
  await page.fill('#first_name', longWord);
  await page.fill('#last_name', 'Wrap');
  await page.fill('#organization', `${'Organisation'.repeat(16)}`);
  await page.fill('#email-0', `${'x'.repeat(60)}@${'sub'.repeat(20)}.example.org`);
  await page.fill('#notes', `See https://example.org/${'path/'.repeat(200)}`);
  await page.click('text=Save person');
  await page.getByRole('heading', { name: `${longWord} Wrap` }).waitFor();
  const personUrl = page.url();
  await hydrated(page);
  await page.fill('#activity-new-title', `Call about ${'Z'.repeat(250)}`);
  await page.click('text=Add activity');
  await page.locator('.timeline .activity', { hasText: 'Call about' }).waitFor();

  await page.goto(`${server.base}/people`);
  await hydrated(page);
  const table = await page.locator('table.people').boundingBox();
  assert.ok(table.width <= 1280, `the people table is ${table.width} px wide`);
  assert.equal(await overflow(page), 0, 'people list overflows the desktop window');

  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of ['/', '/people', personUrl.replace(server.base, ''), `${personUrl.replace(server.base, '')}/edit`,
    '/meetings', '/settings', '/settings/calendars', '/settings/calendars/add']) {
    await page.goto(`${server.base}${path}`);
    await hydrated(page);
    const extra = await overflow(page);
    if (extra > 0) await shot(page, `overflow-${path.replaceAll('/', '_')}`);
    assert.equal(extra, 0, `${path} is ${extra} px wider than a 390 px phone`);
  }
  await shot(page, 'mobile-person-edit');
  assert.deepEqual(faults, []);
  await context.close();
});

test('dialogs take focus, keep Tab inside, close on Esc and give focus back', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, server.base, 'dialog');
  await page.goto(`${server.base}/settings/calendars`);
  await hydrated(page);
  const opener = page.getByRole('button', { name: 'Add CalDAV account' });
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Add CalDAV account' });
  await dialog.waitFor();
  const inDialog = () => page.evaluate(() => !!document.activeElement?.closest('[role=dialog]'));
  const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');
  await page.waitForFunction(() => document.activeElement?.id === 'caldav-preset');
  // Shift+Tab from the first control goes round to the last, Tab from there back to the first.
  await page.keyboard.press('Shift+Tab');
  assert.ok(await inDialog(), 'focus left the dialog backwards');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel');
  await page.keyboard.press('Tab');
  assert.equal(await focusedId(), 'caldav-preset');
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    assert.ok(await inDialog(), `Tab ${i + 1} left the dialog`);
  }
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Add CalDAV account');
  await context.close();
});
