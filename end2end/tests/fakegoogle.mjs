// Runs the repository's fake Google (server/fake_google) as a process for end-to-end tests.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

export const CLIENT_ID = 'e2e-client.apps.googleusercontent.com';
export const CLIENT_SECRET = 'e2e-client-secret';
export const ACCOUNT = 'pat.google@example.com';

export async function startFakeGoogle() {
  const bin = process.env.FAKE_GOOGLE_BIN || join(dirname(process.env.RONDO_BIN), 'fake-google');
  const child = spawn(bin, ['--client-id', CLIENT_ID, '--client-secret', CLIENT_SECRET, '--email', ACCOUNT], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`fake-google exited with ${code}`)));
    setTimeout(() => reject(new Error('fake-google did not start within 30 s')), 30_000);
  });
  const control = async (method, path, body) => {
    const res = await fetch(`${base}/_fake${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} /_fake${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  return {
    base,
    /** The environment that points Rondo at this fake. */
    rondoEnv: {
      RONDO_GOOGLE_CLIENT_ID: CLIENT_ID,
      RONDO_GOOGLE_CLIENT_SECRET: CLIENT_SECRET,
      RONDO_GOOGLE_AUTH_URL: `${base}/o/oauth2/v2/auth`,
      RONDO_GOOGLE_TOKEN_URL: `${base}/token`,
      RONDO_GOOGLE_REVOKE_URL: `${base}/revoke`,
      RONDO_GOOGLE_USERINFO_URL: `${base}/v1/userinfo`,
      RONDO_GOOGLE_API_URL: `${base}/calendar/v3`,
    },
    putEvent: (calendar, event) =>
      control('PUT', `/calendars/${encodeURIComponent(calendar)}/events/${encodeURIComponent(event.id)}`, event),
    revokeTokens: () => control('POST', '/tokens/revoke'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A 30-minute meeting `hours` from now with one outside attendee. */
export function googleMeeting(id, summary, hours) {
  const start = new Date(Date.now() + hours * 3600_000);
  const end = new Date(start.getTime() + 30 * 60_000);
  return {
    id,
    summary,
    start: { dateTime: start.toISOString() },
    end: { dateTime: end.toISOString() },
    attendees: [
      { email: ACCOUNT, self: true, responseStatus: 'accepted' },
      { email: 'ana@example.org', displayName: 'Ana Lima', responseStatus: 'accepted' },
    ],
    hangoutLink: 'https://meet.google.com/abc-defg-hij',
  };
}
