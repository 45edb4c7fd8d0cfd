// What every story needs: people with their own browser context and client address, the mail
// folder read as a person reads their inbox, the accessibility check, and the screenshots.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { test: base, expect } = require('@playwright/test');
const AxeBuilder = require('@axe-core/playwright').default;

const mailDir = () => path.join(process.env.PORTAL_E2E_DIR, 'mail');
const screenshots = path.join(__dirname, '../../../../docs/screenshots');
const PASSWORD = 'correct horse battery staple';

let clients = 0;
/** A new person at their own browser, from their own client address. */
async function person(browser, options = {}) {
  clients += 1;
  const context = await browser.newContext({
    ...options,
    extraHTTPHeaders: { 'X-Forwarded-For': `198.51.100.${clients % 250}` },
  });
  const page = await context.newPage();
  // axe runs in the page: without JavaScript there is nothing to run it with.
  page.scriptless = options.javaScriptEnabled === false;
  return page;
}

let stamp = Date.now() % 1_000_000;
/** An address no earlier story used. */
function address(who) {
  stamp += 1;
  return `${who}.${stamp}@example.test`;
}

/** quoted-printable undone: soft line breaks joined, `=XX` decoded. */
function unquote(text) {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

const seen = new Set();
/** Waits for a mail to `to`, not read before, holding `needle`; returns its text. */
async function mail(to, needle) {
  for (let i = 0; i < 400; i += 1) {
    const names = fs.existsSync(mailDir()) ? fs.readdirSync(mailDir()).sort() : [];
    for (const name of names) {
      const file = path.join(mailDir(), name);
      if (seen.has(file)) continue;
      const text = unquote(fs.readFileSync(file, 'utf8'));
      if (text.includes(`To: ${to}`) && text.includes(needle)) {
        seen.add(file);
        return text;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail to ${to} with ${JSON.stringify(needle)}`);
}

/** The link to `pathname` in a mail, as a path on this site. */
function link(text, pathname) {
  const found = text.match(new RegExp(`https?://[^\\s/]+(${pathname.replace('/', '\\/')}\\?token=[A-Za-z0-9_\\-]+)`));
  if (!found) throw new Error(`no ${pathname} link in:\n${text}`);
  return found[1];
}

/** axe-core on the page as it stands: WCAG 2.2 A and AA rules, no violation. */
async function accessible(page) {
  if (page.scriptless) return;
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'])
    .analyze();
  const found = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(found, `accessibility violations at ${page.url()}`).toEqual([]);
}

/** A screenshot of the page for the README. */
async function screenshot(page, name) {
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

/** Signs up through the form and confirms the address from the mail; ends signed in. */
async function signUp(page, { email, name, account }) {
  await page.goto('/sign-up');
  await accessible(page);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByLabel('Account name').fill(account);
  await page.getByRole('button', { name: 'Create my login' }).click();
  await expect(page.getByRole('status')).toContainText('Check your mail');
  const text = await mail(email, '/verify-email');
  await page.goto(link(text, '/verify-email'));
  await accessible(page);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page.getByRole('status')).toContainText('Your email address is confirmed.');
  await signIn(page, email);
  // One account: the picker goes straight to it (and the address bar says so).
  await page.waitForURL(/\/accounts\/[0-9a-f-]{36}$/);
}

/** Signs in through the form. */
async function signIn(page, email, password = PASSWORD) {
  if (!page.url().includes('/sign-in')) await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs out from the header menu. */
async function signOut(page) {
  await page.locator('details.menu summary').click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('status')).toContainText('You are signed out.');
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 `secret` at `at` (ms), as an app shows it. */
function totp(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...secret.replace(/=+$/, '').toUpperCase()]
    .map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0'))
    .join('');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[19] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

/** Opens an entry of the header's menu. */
async function menu(page, name) {
  await page.locator('details.menu summary').click();
  await page.getByRole('navigation', { name: 'Your accounts and settings' }).getByRole('link', { name }).click();
}

const test = base.extend({
  // The story's first person, from a client address of their own.
  page: async ({ browser }, use) => {
    const page = await person(browser);
    await use(page);
    await page.context().close();
  },
});

module.exports = {
  test, expect, person, address, mail, link, accessible, screenshot, signUp, signIn, signOut, totp, menu, PASSWORD,
};
