// Every page of the client area under axe-core (WCAG 2.2 A and AA), and the invite form worked
// with the keyboard alone.
const {
  test, expect, person, address, mail, accessible, screenshot, signUp,
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
