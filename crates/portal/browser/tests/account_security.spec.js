// Seed 001 in a browser: a forgotten password through the mailed link, two-factor sign-in with
// an authenticator app's code and with a recovery code, and opting out of promotions.
const {
  test, expect, address, mail, link, accessible, screenshot, signUp, signIn, signOut, totp, menu,
} = require('./support');

test('forgot password: the mailed link sets a new one, and only the new one signs in', async ({ page }) => {
  const me = address('forgetful');
  await signUp(page, { email: me, name: 'Frida Forgetful', account: 'Forget Co' });
  await signOut(page);
  await screenshot(page, 'sign-in');
  await accessible(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await accessible(page);
  await page.getByLabel('Email').fill(me);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('a link to set a new password is on its way');
  await page.goto(link(await mail(me, '/reset-password'), '/reset-password'));
  await accessible(page);
  const fresh = 'a new and longer passphrase';
  await page.getByLabel(/^New password/).fill(fresh);
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password is set.');
  await signIn(page, me);
  await expect(page.getByRole('alert')).toContainText('wrong');
  await accessible(page);
  await signIn(page, me, fresh);
  await expect(page.getByRole('heading', { name: 'Forget Co' })).toBeVisible();
});

test('turn on two-factor with a code from the shown secret, then sign in with a code and with a recovery code', async ({ page }) => {
  const me = address('careful');
  await signUp(page, { email: me, name: 'Carla Careful', account: 'Careful Co' });
  await menu(page, 'Two-factor authentication');
  await accessible(page);
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  await accessible(page);
  await screenshot(page, 'two-factor');
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  await page.getByLabel('Code from the app').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByText('Two-factor authentication is on.')).toBeVisible();
  const codes = await page.getByRole('list', { name: 'Recovery codes' }).locator('code').allTextContents();
  expect(codes).toHaveLength(10);
  await accessible(page);

  await signOut(page);
  await signIn(page, me);
  await expect(page.getByRole('heading', { name: 'Two-factor code' })).toBeVisible();
  await accessible(page);
  // The enrolment's step is spent: the app's next code (one step of skew) is the one to give.
  await page.getByLabel(/Code from your authenticator app/).fill(totp(secret, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Careful Co' })).toBeVisible();

  await signOut(page);
  await signIn(page, me);
  await page.getByLabel(/Code from your authenticator app/).fill(codes[0]);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Careful Co' })).toBeVisible();
  await mail(me, 'recovery code');
});

test('opt out of promotions; security stays on', async ({ page }) => {
  await signUp(page, { email: address('quiet'), name: 'Quinn Quiet', account: 'Quiet Co' });
  await menu(page, 'Email preferences');
  await accessible(page);
  const promotions = page.getByRole('checkbox', { name: 'promotions' });
  await expect(promotions).toBeChecked();
  await expect(page.getByRole('checkbox', { name: /security/ })).toBeDisabled();
  await expect(page.getByRole('checkbox', { name: /security/ })).toBeChecked();
  await promotions.uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Your changes are saved.');
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'promotions' })).not.toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'product-news' })).toBeChecked();
  await screenshot(page, 'preferences');
});
