// The browser suite: Debian's Chromium, headless, one worker, against the release server on a
// fresh SQLite file and a fresh mail folder (both in one temporary directory), stopped at the end.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { defineConfig } = require('@playwright/test');

// The config is read by the runner and again by each worker: the directory is made once and
// handed down through the environment.
if (!process.env.PORTAL_E2E_DIR) {
  process.env.PORTAL_E2E_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-e2e-'));
}
const dir = process.env.PORTAL_E2E_DIR;
const port = process.env.PORTAL_E2E_PORT || '18080';
const base = `http://127.0.0.1:${port}`;
const binary = process.env.PORTAL_BINARY || path.join(__dirname, '../../../target/release/portal');

module.exports = defineConfig({
  testDir: './tests',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: base,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.PORTAL_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'off',
  },
  webServer: {
    command: [
      JSON.stringify(binary), 'serve',
      '--database-url', JSON.stringify(`sqlite://${dir}/portal.db?mode=rwc`),
      '--listen', `127.0.0.1:${port}`,
      '--public-url', base,
      '--mail-dir', JSON.stringify(`${dir}/mail`),
      // Each story's people come from their own client address (X-Forwarded-For from loopback),
      // as real people do, so the per-client sign-up and sign-in limits apply to each alone.
      '--trusted-proxy', '127.0.0.1/32',
    ].join(' '),
    url: `${base}/sign-in`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
