//! The texts of account-security mail: verification and email-change links, reset links, the
//! "you already have an account" note, and security notices. Links point at the client-area
//! pages; opening one uses nothing, only the page's form does.

use chrono::{DateTime, Utc};
use portal_domain::ports::{Message, SecurityNotice};

fn until(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The subject and body of an account-security message, `None` for any other.
pub fn render(message: &Message, base: &str) -> Option<(String, String)> {
    let reset_page = format!("{base}/reset-password");
    Some(match message {
        Message::VerifyEmail { token, expires_at } => (
            "Verify your email address".into(),
            format!(
                "Confirm that this address is yours: {base}/verify-email?token={token}\n\n\
                 Or enter this code on the verification page:\n{token}\n\n\
                 The link works until {}. If you did not sign up, ignore this email.\n",
                until(expires_at)
            ),
        ),
        Message::AccountExists { reset_token, expires_at } => {
            let reset = match reset_token {
                Some(token) => format!(
                    "If you forgot your password, set a new one: {reset_page}?token={token}\n\n\
                     Or enter this code on the reset page:\n{token}\n\nThe link works until {}.\n",
                    until(expires_at)
                ),
                None => format!("If you forgot your password, ask for a reset link at {reset_page}.\n"),
            };
            (
                "You already have an account".into(),
                format!(
                    "Someone tried to sign up with this address, which already has an account. \
                     If it was you, sign in instead.\n\n{reset}\nIf it was not you, ignore this email.\n"
                ),
            )
        }
        Message::PasswordReset { token, expires_at } => (
            "Reset your password".into(),
            format!(
                "Set a new password: {reset_page}?token={token}\n\n\
                 Or enter this code on the reset page:\n{token}\n\n\
                 The link works once, until {}. If you did not ask for it, ignore this email: \
                 your password stays as it is.\n",
                until(expires_at)
            ),
        ),
        Message::ConfirmEmailChange { token, expires_at } => (
            "Confirm your new email address".into(),
            format!(
                "Confirm that your login moves to this address: {base}/verify-email?token={token}\n\n\
                 Or enter this code on the verification page:\n{token}\n\n\
                 The link works until {}. Until then you sign in with your old address.\n",
                until(expires_at)
            ),
        ),
        Message::Security(SecurityNotice::NewSignIn { client, at, token, expires_at }) => (
            "A new sign-in to your account".into(),
            format!(
                "Your account was signed in to at {} from {} ({}), a device it had not been used from \
                 lately. If that was you, there is nothing to do.\n\n\
                 If it was not, end that session: {base}/end-session?token={token}\n\n\
                 Or enter this code on the end-session page:\n{token}\n\n\
                 The link works until {}. Then reset your password at {reset_page}.\n",
                until(at),
                client.address(),
                if client.user_agent().is_empty() { "unknown browser" } else { client.user_agent() },
                until(expires_at)
            ),
        ),
        Message::Security(notice) => security(notice, &reset_page),
        Message::Invite { .. } | Message::Notice { .. } => return None,
    })
}

fn security(notice: &SecurityNotice, reset_page: &str) -> (String, String) {
    let not_you = format!("If this was not you, reset your password at {reset_page} and review your sessions.");
    match notice {
        SecurityNotice::PasswordChanged => {
            ("Your password was changed".into(), format!("Your password was changed. {not_you}\n"))
        }
        SecurityNotice::PasswordReset => (
            "Your password was reset".into(),
            format!("Your password was set from a reset link, and every session ended. {not_you}\n"),
        ),
        SecurityNotice::EmailChangeRequested { to } => (
            "A change of your login email was asked for".into(),
            format!(
                "Someone signed in to your account asked to move its login to {to}. Nothing changes unless \
                 the link mailed to {to} is followed; until then this address keeps working. To undo it, \
                 sign in and change your password: that ends the request's link.\n{not_you}\n"
            ),
        ),
        SecurityNotice::EmailChanged { to } => (
            "Your login email changed".into(),
            format!("Your account's login moved to {to}. This address no longer signs in. {not_you}\n"),
        ),
        SecurityNotice::MfaEnabled => (
            "Two-factor authentication is on".into(),
            format!("Signing in to your account now asks for a code from your authenticator app. {not_you}\n"),
        ),
        SecurityNotice::MfaDisabled => (
            "Two-factor authentication is off".into(),
            format!("Signing in to your account no longer asks for a code from your authenticator app. {not_you}\n"),
        ),
        SecurityNotice::MfaReset => (
            "Two-factor authentication was reset".into(),
            format!(
                "At your request, the operator turned two-factor authentication off for your account. Turn it \
                 on again in your profile. {not_you}\n"
            ),
        ),
        // Rendered with its link in `render`.
        SecurityNotice::NewSignIn { .. } => ("A new sign-in to your account".into(), not_you.clone() + "\n"),
        SecurityNotice::RecoveryCodeUsed { left } => (
            "A recovery code was used".into(),
            format!(
                "One of your recovery codes was used in place of a code from your app; {left} remain. Make a \
                 new set in your profile if you are running low. {not_you}\n"
            ),
        ),
    }
}
