// Every page of the client area under axe-core (WCAG 2.2 A and AA), and the invite form worked
// with the keyboard alone.
const {
  test, expect, person, address, mail, accessible, screenshot, signUp, menu,
} = require('./support');

test('every page a member or a stranger opens passes the accessibility rules', async ({ page, browser }) => {
  await signUp(page, { email: address('tour'), name: 'Tess Tour', account: 'Tour Co' });
  const account = new URL(page.url()).pathname;
  const pages = [
    '/', '/me', '/me/email', '/me/password', '/me/preferences', '/me/two-factor', '/me/sessions',
    account, `${account}/profile`, `${account}/users`, `${account}/users/new`, `${account}/contacts`,
    `${account}/contacts/new`, `${account}/notices`, `${account}/notices?category=billing`, `${account}/audit`,
    `${account}/review`, `${account}/ownership`, '/accounts/00000000-0000-7000-8000-000000000000',
  ];
  for (const path of pages) {
    await page.goto(path);
    await expect(page.locator('h1')).toBeVisible();
    await accessible(page);
  }
  await page.goto('/me/sessions');
  await screenshot(page, 'sessions');
  for (const path of ['/sign-up', '/forgot-password', '/sign-in', '/verify-email?token=x', '/reset-password?token=x', '/end-session?token=x', '/invites/accept?token=x']) {
    const stranger = await person(browser);
    await stranger.goto(path);
    await expect(stranger.locator('h1')).toBeVisible();
    await accessible(stranger);
    await stranger.context().close();
  }
});

test('the invite form works with the keyboard alone', async ({ page }) => {
  await signUp(page, { email: address('keys'), name: 'Kim Keys', account: 'Keyboard Co' });
  await page.goto(`${new URL(page.url()).pathname}/users/new`);
  const invitee = address('typed');
  await page.getByLabel('Email').focus();
  await page.keyboard.type(invitee);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel(/^Name/)).toBeFocused();
  await page.keyboard.type('Tia Typed');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Role')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page.getByLabel('Role')).toHaveValue('billing');
  await expect(page.getByRole('checkbox', { name: /billing\.pay/ })).toBeChecked();
  await page.getByRole('button', { name: 'Invite' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toContainText('The invite is sent.');
  await mail(invitee, '/invites/accept');
});

test('links and forms swap the main region in place, and the header, title and address follow', async ({ page }) => {
  await signUp(page, { email: address('swap'), name: 'Sam Swap', account: 'Swap Co' });
  const account = new URL(page.url()).pathname;
  // A full load would forget this.
  await page.evaluate(() => { window.sameDocument = true; });
  const asked = page.waitForRequest((r) => r.url().endsWith(`${account}/users`));
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  expect((await asked).headers()['hx-target']).toBe('main');
  await expect(page.locator('h1')).toHaveText('Users');
  await expect(page).toHaveTitle(/^Users · Swap Co/);
  await expect(page).toHaveURL(new RegExp(`${account}/users$`));
  await expect(page.getByLabel('Current account')).toHaveText('Swap Co');
  // A form's error comes back into the page, next to its field.
  await page.getByRole('link', { name: 'Add user' }).click();
  await page.getByLabel('Email').fill(address('later'));
  await page.getByLabel('Role').selectOption('billing');
  await page.getByLabel(/^Access ends on/).fill('2099-01-31');
  await page.getByRole('button', { name: 'Invite' }).click();
  await expect(page.locator('#access_ends_at-error')).toBeVisible();
  // The header is swapped too: a new name shows in its menu.
  await menu(page, 'My profile');
  await page.getByLabel(/^Name/).fill('Sam Renamed');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Your changes are saved.');
  await expect(page.locator('details.menu summary')).toHaveText('Sam Renamed');
  expect(await page.evaluate(() => window.sameDocument)).toBe(true);
  // Back: htmx keeps no copy of the pages (personal data), so it asks for the whole page again.
  await page.goBack();
  await expect(page).toHaveURL(/\/me$/);
  await expect(page.locator('h1')).toHaveText('My profile');
  await page.goBack();
  await expect(page.locator('h1')).toHaveText('Add user');
  expect(await page.evaluate(() => localStorage.getItem('htmx-history-cache'))).toBeNull();
  await accessible(page);
});
