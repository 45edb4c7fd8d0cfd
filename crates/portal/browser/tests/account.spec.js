// Seeds 000, 003 and 004 in a browser: a finance inbox as a contact that receives the billing
// notices (shown in the recipient preview with the reason), the account profile kept current,
// ownership handed over, and an access review recorded.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const {
  test, expect, person, address, mail, link, accessible, screenshot, signUp, PASSWORD,
} = require('./support');

const binary = process.env.PORTAL_BINARY || path.join(__dirname, '../../../../target/release/portal');

/** An operator key made with the binary's own command, as the provider's staff would. */
function operatorKey() {
  const url = `sqlite://${process.env.PORTAL_E2E_DIR}/portal.db?mode=rwc`;
  return execFileSync(binary, ['operator', 'create-key', '--database-url', url], { encoding: 'utf8' }).trim();
}

/** The account id of the page the person is on. */
function accountOf(page) {
  return new URL(page.url()).pathname.split('/')[2];
}

/** A teammate joins through the invite the owner sends from Settings > Users. */
async function teammate(page, browser, role, name) {
  const email = address(name.split(' ')[0].toLowerCase());
  await page.goto(`/accounts/${accountOf(page)}/users`);
  await page.getByRole('link', { name: 'Add user' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role').selectOption(role);
  await page.getByRole('button', { name: 'Invite' }).click();
  await expect(page.getByRole('status')).toContainText('The invite is sent.');
  const theirs = await person(browser);
  await theirs.goto(link(await mail(email, '/invites/accept'), '/invites/accept'));
  await theirs.getByLabel('Your name').fill(name);
  await theirs.getByLabel(/^Password/).fill(PASSWORD);
  await theirs.getByRole('button', { name: 'Create my login and join' }).click();
  await expect(theirs.getByRole('status')).toContainText('You joined the account.');
  return { theirs, email };
}

test('a finance-inbox contact receives the billing notices, shown in the recipient preview with the reason', async ({ page }) => {
  await signUp(page, { email: address('owner'), name: 'Olivia Owner', account: 'Ledger Co' });
  const account = accountOf(page);
  await page.getByRole('link', { name: 'Contacts' }).click();
  await expect(page.getByText('No contacts yet.')).toBeVisible();
  await accessible(page);
  await page.getByRole('link', { name: 'Add contact' }).click();
  await accessible(page);
  const inbox = address('finance-inbox');
  await page.getByLabel('Name').fill('Finance inbox');
  await page.getByLabel(/^Email/).fill(inbox);
  await page.getByRole('checkbox', { name: 'billing' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('The contact is added.');
  await expect(page.getByRole('row', { name: /Finance inbox/ })).toContainText('billing');
  await screenshot(page, 'contacts');

  await page.goto(`/accounts/${account}/notices`);
  await accessible(page);
  await page.getByLabel('Category').selectOption('billing');
  await page.getByRole('button', { name: 'Preview the recipients' }).click();
  const preview = page.getByRole('table', { name: /A billing notice sent now would reach/ });
  await expect(preview.getByRole('row', { name: new RegExp(inbox.replace(/\./g, '\\.')) })).toContainText('a contact subscribed to this category');
  await accessible(page);
  // Promotions do not reach it: it is not subscribed.
  await page.getByLabel('Category').selectOption('promotions');
  await page.getByRole('button', { name: 'Preview the recipients' }).click();
  await expect(page.getByRole('table', { name: /A promotions notice/ })).not.toContainText(inbox);

  // The provider sends a billing notice; the inbox gets it, and the page says who received it and why.
  const sent = await page.request.post(`/api/v1/accounts/${account}/notices`, {
    headers: { 'X-Operator-Key': operatorKey() },
    data: { category: 'billing', subject: 'Invoice 2026-117 is ready' },
  });
  expect(sent.status()).toBe(201);
  await mail(inbox, 'Invoice 2026-117 is ready');
  await page.goto(`/accounts/${account}/notices`);
  const record = page.getByRole('table', { name: /Who received “Invoice 2026-117 is ready”/ });
  await expect(record.getByRole('row', { name: new RegExp(inbox.replace(/\./g, '\\.')) })).toContainText('contact');
  await screenshot(page, 'notices');

  // Edit, then delete the contact.
  await page.goto(`/accounts/${account}/contacts`);
  await page.getByRole('link', { name: 'Edit Finance inbox' }).click();
  await accessible(page);
  await page.getByLabel(/^Phone/).fill('+44 20 7946 0000');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Your changes are saved.');
  await page.getByRole('link', { name: 'Edit Finance inbox' }).click();
  await page.getByText('Delete Finance inbox…').click();
  await page.getByRole('button', { name: 'Yes, delete Finance inbox' }).click();
  await expect(page.getByRole('status')).toContainText('The contact is deleted.');
});

test('keep the account profile current, then hand ownership to a teammate', async ({ page, browser }) => {
  await signUp(page, { email: address('owner'), name: 'Olivia Owner', account: 'Handover Co' });
  const account = accountOf(page);
  await page.getByRole('link', { name: 'Account profile' }).click();
  await accessible(page);
  await page.getByLabel('Street', { exact: true }).fill('1 Harbour Lane');
  await page.getByLabel('City').fill('Bristol');
  await page.getByLabel('Postal code').fill('BS1 4RN');
  await page.getByLabel(/^Country/).fill('gb');
  await page.getByLabel(/^Tax id/).fill('GB123456789');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('The account profile is saved.');
  await page.getByRole('link', { name: 'Account profile' }).click();
  await expect(page.getByLabel('City')).toHaveValue('Bristol');
  await screenshot(page, 'account-profile');

  const { theirs } = await teammate(page, browser, 'admin', 'Nina Next');
  await page.goto(`/accounts/${account}/ownership`);
  await accessible(page);
  await expect(page.getByLabel('New owner')).toContainText('Nina Next');
  await page.getByLabel('Your password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Hand over ownership' }).click();
  await expect(page.getByRole('status')).toContainText('Ownership is handed over.');
  await expect(page.getByText('(owner)')).toHaveCount(0);
  await theirs.reload();
  await expect(theirs.getByText('(owner)')).toBeVisible();
  await theirs.context().close();
});

test('record an access review: the flags, who approved each member, and a removal', async ({ page, browser }) => {
  await signUp(page, { email: address('owner'), name: 'Olivia Owner', account: 'Review Co' });
  const account = accountOf(page);
  const { theirs } = await teammate(page, browser, 'read-only', 'Rita Reader');
  await page.goto(`/accounts/${account}/review`);
  await accessible(page);
  await expect(page.getByText('No review has been recorded yet.')).toBeVisible();
  const owner = page.getByRole('row', { name: /Olivia Owner|you/ }).first();
  await expect(owner).toContainText('sensitive');
  const rita = page.getByRole('row', { name: /Rita Reader/ });
  await expect(rita).toContainText('you');
  await screenshot(page, 'access-review');
  await rita.getByLabel('Remove').check();
  await page.getByRole('button', { name: 'Record the review' }).click();
  await expect(page.getByRole('status')).toContainText('The access review is recorded.');
  await expect(page.getByText(/Last recorded review: .* by you/)).toBeVisible();
  await expect(page.getByRole('row', { name: /Rita Reader/ })).toHaveCount(0);
  await page.goto(`/accounts/${account}/audit`);
  await accessible(page);
  await expect(page.getByRole('cell', { name: 'access_review.recorded' }).first()).toBeVisible();
  await screenshot(page, 'audit');
  await theirs.reload();
  await expect(theirs.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await theirs.context().close();
});
