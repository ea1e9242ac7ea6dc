// Starts a real Rondo server and a real Chromium for the end-to-end tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const outputDir = join(here, '..', 'output');
mkdirSync(outputDir, { recursive: true });

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A Rondo server on a free port with its own data directory (kept across restart()). */
export async function startRondo({ dataDir = mkdtempSync(join(tmpdir(), 'rondo-e2e-')), port, env = {} } = {}) {
  const bin = process.env.RONDO_BIN;
  if (!bin) throw new Error('RONDO_BIN must point at the built rondo binary (scripts/test.sh sets it)');
  port = port ?? (await freePort());
  const child = spawn(bin, ['serve'], {
    env: { ...process.env, RONDO_BIND: `127.0.0.1:${port}`, RONDO_DATA_DIR: dataDir, RONDO_LOG: process.env.RONDO_E2E_LOG || 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`rondo exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error('rondo did not start within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base, dataDir, port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

const consoleLogs = new WeakMap();

/** Remembers a page's console errors, so a failed hydration says why. */
export function watchConsole(page) {
  if (consoleLogs.has(page)) return;
  const lines = [];
  consoleLogs.set(page, lines);
  page.on('console', (m) => { if (m.type() === 'error') lines.push(m.text().slice(0, 8000)); });
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
}

/** Waits until the WASM client has hydrated the page. */
export async function hydrated(page) {
  watchConsole(page);
  try {
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  } catch (error) {
    throw new Error(`${page.url()} did not hydrate. Console errors: ${JSON.stringify(consoleLogs.get(page))}`, { cause: error });
  }
}

export async function shot(page, name) {
  await page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true });
}

export function uniqueEmail(prefix) {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.org`;
}

/** Polls until the locator's trimmed text equals `expected` (playwright-core has no expect()). */
export async function waitForText(locator, expected, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = ((await locator.textContent({ timeout })) ?? '').trim();
    if (last === expected) return;
    if (Date.now() > deadline) throw new Error(`expected text ${JSON.stringify(expected)}, still ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Signs up and in with plain form posts, for pages without JavaScript; ends on the dashboard.
 */
export async function signUpWithoutJs(page, base, prefix) {
  const email = uniqueEmail(prefix);
  await page.goto(`${base}/signup`);
  await page.fill('#email', email);
  await page.fill('#password', 'a long enough password');
  await page.click('button[type=submit]');
  await page.waitForURL('**/login?signed_up=1');
  await page.getByTestId('signed-up').waitFor();
  await page.fill('#email', email);
  await page.fill('#password', 'a long enough password');
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  return email;
}

/**
 * Signs up a new account through the form (after hydration), then signs in with it (sign-up
 * starts no session, so that it answers the same for known and new addresses) and waits for
 * the dashboard.
 */
export async function signUp(page, base, prefix) {
  const email = uniqueEmail(prefix);
  await page.goto(`${base}/signup`);
  await hydrated(page);
  await page.fill('#email', email);
  await page.fill('#password', 'a long enough password');
  await page.click('button[type=submit]');
  await page.waitForURL('**/login?signed_up=1');
  await page.getByTestId('signed-up').waitFor();
  await hydrated(page);
  await page.fill('#email', email);
  await page.fill('#password', 'a long enough password');
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}
