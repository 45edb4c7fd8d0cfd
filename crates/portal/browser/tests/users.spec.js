// Seeds 002 and 003 in a browser: invite a teammate with exactly the access they need, the
// teammate answers the mail, edit then remove, resend then cancel.
const {
  test, expect, person, address, mail, link, accessible, screenshot, signUp, PASSWORD,
} = require('./support');

/** The owner adds a user from Settings > Users; returns the invite mail's link. */
async function invite(page, email, role) {
  await page.getByRole('link', { name: 'Users' }).first().click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await page.getByRole('link', { name: 'Add user' }).click();
  await accessible(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role').selectOption(role);
  await page.getByRole('button', { name: 'Invite' }).click();
  await expect(page.getByRole('status')).toContainText('The invite is sent.');
  await expect(page.getByRole('cell', { name: email, exact: true })).toBeVisible();
  return link(await mail(email, '/invites/accept'), '/invites/accept');
}

test('sign up and verify, then invite a teammate with the billing role who sees only what billing may', async ({ page, browser }) => {
  const owner = address('owner');
  await signUp(page, { email: owner, name: 'Olivia Owner', account: 'Acme Hosting' });
  await expect(page.getByRole('heading', { name: 'Acme Hosting' })).toBeVisible();
  await accessible(page);
  await screenshot(page, 'account');

  await page.getByRole('link', { name: 'Users' }).first().click();
  await accessible(page);
  await page.getByRole('link', { name: 'Add user' }).click();
  // The role fills the checkboxes; the master profile carries the seed's warning.
  await page.getByLabel('Role').selectOption('billing');
  await expect(page.getByRole('checkbox', { name: /billing\.pay/ })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: /services\.manage/ })).not.toBeChecked();
  await expect(page.getByText("Be careful with providing 'Modify Master Account Profile' access").first()).toBeVisible();
  await screenshot(page, 'add-user');
  const teammate = address('finance');
  await page.getByLabel('Email').fill(teammate);
  await page.getByRole('button', { name: 'Invite' }).click();
  await expect(page.getByRole('status')).toContainText('The invite is sent.');
  await screenshot(page, 'users');

  const theirs = await person(browser);
  await theirs.goto(link(await mail(teammate, '/invites/accept'), '/invites/accept'));
  await expect(theirs.getByRole('heading', { name: 'Join Acme Hosting' })).toBeVisible();
  await expect(theirs.getByText('Olivia Owner invites you')).toBeVisible();
  await accessible(theirs);
  await screenshot(theirs, 'invite');
  await theirs.getByLabel('Your name').fill('Fiona Finance');
  await theirs.getByLabel(/^Password/).fill(PASSWORD);
  await theirs.getByRole('button', { name: 'Create my login and join' }).click();
  await expect(theirs.getByRole('status')).toContainText('You joined the account.');
  await expect(theirs.getByRole('heading', { name: 'Acme Hosting' })).toBeVisible();
  await expect(theirs.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await theirs.goto(theirs.url().replace(/\?.*$/, '') + '/users');
  await expect(theirs.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
  await accessible(theirs);
  await theirs.context().close();
});

test('edit a member, then remove them with the keyboard alone', async ({ page, browser }) => {
  const owner = address('owner');
  await signUp(page, { email: owner, name: 'Olivia Owner', account: 'Edit Co' });
  const teammate = address('tech');
  const accept = await invite(page, teammate, 'technical');
  const theirs = await person(browser);
  await theirs.goto(accept);
  await theirs.getByLabel('Your name').fill('Theo Tech');
  await theirs.getByLabel(/^Password/).fill(PASSWORD);
  await theirs.getByRole('button', { name: 'Create my login and join' }).click();
  await expect(theirs.getByRole('status')).toContainText('You joined the account.');

  await page.reload();
  await page.getByRole('link', { name: 'Manage Theo Tech' }).click();
  await accessible(page);
  await page.getByLabel('Role label').fill('lead engineer');
  await page.getByRole('checkbox', { name: /orders\.place/ }).uncheck();
  await page.getByLabel(/^Access ends on/).fill('2030-06-30');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Your changes are saved.');
  const row = page.getByRole('row', { name: /Theo Tech/ });
  await expect(row).toContainText('lead engineer');
  await expect(row).toContainText('2030-06-30');

  await page.getByRole('link', { name: 'Manage Theo Tech' }).click();
  const confirm = page.getByText('Remove Theo Tech…');
  await confirm.focus();
  await page.keyboard.press('Enter');
  const yes = page.getByRole('button', { name: 'Yes, remove Theo Tech' });
  await expect(yes).toBeVisible();
  await accessible(page);
  await page.keyboard.press('Tab');
  await expect(yes).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toContainText('The member is removed.');
  await expect(page.getByRole('row', { name: /Theo Tech/ })).toHaveCount(0);

  // Their next request finds nothing there.
  await theirs.reload();
  await expect(theirs.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await theirs.context().close();
});

test('resend then cancel an invite: each older link says it is no longer valid', async ({ page, browser }) => {
  await signUp(page, { email: address('owner'), name: 'Olivia Owner', account: 'Resend Co' });
  const invitee = address('late');
  const first = await invite(page, invitee, 'read-only');
  await page.getByRole('button', { name: `Resend the invite to ${invitee}` }).click();
  await expect(page.getByRole('status')).toContainText('The invite is sent again');
  const second = link(await mail(invitee, '/invites/accept'), '/invites/accept');
  expect(second).not.toEqual(first);

  const theirs = await person(browser);
  await theirs.goto(first);
  await expect(theirs.getByText('This invite link is no longer valid.')).toBeVisible();
  await accessible(theirs);
  await theirs.goto(second);
  await expect(theirs.getByRole('heading', { name: 'Join Resend Co' })).toBeVisible();

  await page.getByRole('button', { name: `Cancel the invite to ${invitee}` }).click();
  await expect(page.getByRole('status')).toContainText('The invite is cancelled');
  await theirs.goto(second);
  await expect(theirs.getByText('This invite link is no longer valid.')).toBeVisible();
  await theirs.context().close();
});

test('one person in two accounts picks one after sign-in and switches from the header', async ({ page, browser }) => {
  const me = address('multi');
  await signUp(page, { email: me, name: 'Max Multi', account: 'Max Own' });
  const other = await person(browser);
  await signUp(other, { email: address('owner'), name: 'Olivia Owner', account: 'Client Two' });
  const accept = await invite(other, me, 'admin');
  await other.context().close();

  await page.goto(accept);
  await page.getByRole('button', { name: /^Accept as Max Multi/ }).click();
  await expect(page.getByRole('status')).toContainText('You joined the account.');
  await page.locator('details.menu summary').click();
  await page.getByRole('link', { name: 'Switch account' }).click();
  await expect(page.getByRole('heading', { name: 'Which account would you like to manage?' })).toBeVisible();
  await accessible(page);
  await screenshot(page, 'account-picker');
  await page.getByRole('link', { name: 'Client Two' }).click();
  await expect(page.getByLabel('Current account')).toHaveText('Client Two');
  await page.locator('details.menu summary').click();
  await page.getByRole('navigation', { name: 'Your accounts and settings' }).getByRole('link', { name: 'Max Own' }).click();
  await expect(page.getByLabel('Current account')).toHaveText('Max Own');
});

test.describe('without JavaScript', () => {
  test('the invite story works with plain links and forms', async ({ browser }) => {
    const page = await person(browser, { javaScriptEnabled: false });
    await signUp(page, { email: address('owner'), name: 'Nora NoScript', account: 'Plain Co' });
    const invitee = address('plain');
    // No script ticks the boxes: with none ticked, the chosen role's permissions apply.
    const accept = await invite(page, invitee, 'billing');
    const theirs = await person(browser, { javaScriptEnabled: false });
    await theirs.goto(accept);
    await theirs.getByLabel('Your name').fill('Pia Plain');
    await theirs.getByLabel(/^Password/).fill(PASSWORD);
    await theirs.getByRole('button', { name: 'Create my login and join' }).click();
    await expect(theirs.getByRole('status')).toContainText('You joined the account.');
    await page.reload();
    await expect(page.getByRole('row', { name: /Pia Plain/ })).toContainText('billing');
    await theirs.context().close();
    await page.context().close();
  });
});
