// A real Radicale CalDAV server for end-to-end tests: free loopback port, temporary store,
// htpasswd auth. Calendars and events are created over CalDAV like any other client would.
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support.mjs';

export const USER = 'alice';
export const PASSWORD = 'radicale-secret-pw';

/** Starts Radicale with one htpasswd user (by default alice, whose username is no address). */
export async function startRadicale({ user = USER, password = PASSWORD } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'radicale-'));
  const port = await freePort();
  writeFileSync(join(dir, 'users'), `${user}:${password}\n`);
  writeFileSync(join(dir, 'config'), [
    '[server]', `hosts = 127.0.0.1:${port}`,
    '[auth]', 'type = htpasswd', `htpasswd_filename = ${join(dir, 'users')}`, 'htpasswd_encryption = plain',
    '[storage]', `filesystem_folder = ${join(dir, 'collections')}`,
    '[logging]', 'level = warning', '',
  ].join('\n'));
  const child = spawn(process.env.PYTHON || 'python3', ['-m', 'radicale', '--config', join(dir, 'config')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  const auth = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try { await fetch(`${base}/.web/`); break; } catch { /* starting */ }
    if (Date.now() > deadline) throw new Error('Radicale did not start');
    await new Promise((r) => setTimeout(r, 150));
  }
  async function dav(method, path, body, contentType = 'application/xml') {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: auth, 'content-type': contentType, depth: '0' }, body });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  }
  return {
    base,
    user,
    password,
    async makeCalendar(name, display, color) {
      await fetch(`${base}/${user}/`, { method: 'PROPFIND', headers: { authorization: auth, depth: '0' } });
      await dav('MKCALENDAR', `/${user}/${name}/`, `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/">
<D:set><D:prop><D:displayname>${display}</D:displayname><A:calendar-color>${color}</A:calendar-color>
<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`);
    },
    async putEvent(calendar, file, ics) {
      await dav('PUT', `/${user}/${calendar}/${file}`, ics.replace(/\r?\n/g, '\r\n'), 'text/calendar');
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A proxy in front of `upstream` that answers each `calendar-multiget` REPORT `delayMs` late, so
 * a sync takes long enough to be watched in the browser.
 */
export async function startSlowProxy(upstream, delayMs) {
  const target = new URL(upstream);
  const server = createServer((incoming, outgoing) => {
    const chunks = [];
    incoming.on('data', (c) => chunks.push(c));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const slow = incoming.method === 'REPORT' && body.includes('calendar-multiget');
      setTimeout(() => {
        const forwarded = request({
          host: target.hostname, port: target.port, method: incoming.method, path: incoming.url,
          headers: { ...incoming.headers, host: target.host },
        }, (answer) => {
          outgoing.writeHead(answer.statusCode, answer.headers);
          answer.pipe(outgoing);
        });
        forwarded.on('error', () => outgoing.destroy());
        forwarded.end(body);
      }, slow ? delayMs : 0);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/** A VEVENT relative to now, in UTC; an attendee's `partstat` defaults to ACCEPTED. */
export function vevent({ uid, summary, startOffsetHours, durationMinutes = 60, attendees = [], extra = [] }) {
  const start = new Date(Date.now() + startOffsetHours * 3600_000);
  start.setUTCMinutes(0, 0, 0);
  const end = new Date(start.getTime() + durationMinutes * 60_000);
  const fmt = (d) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Rondo tests//EN', 'BEGIN:VEVENT', `UID:${uid}`, `DTSTAMP:${fmt(new Date())}`,
    `DTSTART:${fmt(start)}`, `DTEND:${fmt(end)}`, `SUMMARY:${summary}`,
    ...attendees.map((a) => `ATTENDEE;CN=${a.name};PARTSTAT=${a.partstat || 'ACCEPTED'}:mailto:${a.email}`),
    ...extra,
    'END:VEVENT', 'END:VCALENDAR', ''].join('\n');
}

/** Adds a CalDAV account through Settings → Calendars, ticking every calendar found. */
export async function addCalDavAccount(page, radicale, name) {
  await page.click('nav >> text=Settings');
  await page.click('.tabs >> text=Calendars');
  await page.click('text=Add CalDAV account');
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await page.fill('#caldav-url', radicale.base);
  await page.fill('#caldav-username', radicale.user);
  await page.fill('#caldav-password', radicale.password);
  await page.click('text=Test connection');
  await dialog.getByText(/Found \d+ calendar/).waitFor();
  await page.fill('#caldav-name', name);
  await dialog.getByRole('button', { name: 'Add account' }).click();
  await dialog.waitFor({ state: 'detached' });
  // The first sync runs in the background: the card shows its result once it is done.
  const card = page.locator('.connection', { hasText: name });
  await card.locator('.last-run').waitFor();
  await card.locator('.badge', { hasText: 'Connected' }).waitFor();
}
