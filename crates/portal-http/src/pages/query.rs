//! The query strings pages read and write: where to go after signing in (a path on this site
//! only, never another site), and the outcome a redirect after a form announces.

/// The id in the path's parameter `name` (`/accounts/:id`), if it is one.
pub(crate) fn path_id<T: std::str::FromStr>(req: &poem::Request, name: &str) -> Option<T> {
    req.raw_path_param(name).and_then(|raw| raw.parse().ok())
}

/// `here` as a query pair `next=...`.
pub(crate) fn next(here: &str) -> String {
    serde_html_form::to_string([("next", here)]).unwrap_or_default()
}

/// `next` if it is a path on this site: `/...`, but not `//host` nor `/\host`, which browsers
/// read as another site.
pub(crate) fn local_path(next: &str) -> Option<&str> {
    let rest = next.strip_prefix('/')?;
    let other_site = rest.starts_with('/') || rest.starts_with('\\');
    let control = next.chars().any(|c| c.is_control());
    (!other_site && !control).then_some(next)
}

/// What a redirect after a form says happened, by a fixed key (the page announces the fixed
/// sentence, so nothing in a link is echoed).
pub(crate) fn outcome(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "signed-out" => "You are signed out.",
        "verified" => "Your email address is confirmed.",
        "email-changed" => "Your login email is changed.",
        "password-reset" => "Your password is set. Sign in with it.",
        "reset-sent" => "If that address has a login, a link to set a new password is on its way.",
        "signed-up" => "Check your mail: we sent a link to confirm your address.",
        "declined" => "You declined the invite.",
        "joined" => "You joined the account.",
        "invited" => "The invite is sent.",
        "resent" => "The invite is sent again, with a new link.",
        "cancelled" => "The invite is cancelled; its link no longer works.",
        "saved" => "Your changes are saved.",
        "removed" => "The member is removed.",
        "email-sent" => "Check the new address: the change is made when you follow the link we mailed there.",
        "password-changed" => "Your password is changed. Your other sessions are signed out.",
        "mfa-off" => "Two-factor authentication is off.",
        "ended" => "That session is signed out.",
        "ended-others" => "Every other session is signed out.",
        "contact-added" => "The contact is added.",
        "contact-deleted" => "The contact is deleted.",
        "profile-saved" => "The account profile is saved.",
        "transferred" => "Ownership is handed over.",
        "left" => "You left the account.",
        "closed" => "The account is closed.",
        "reviewed" => "The access review is recorded.",
        "session-ended" => "That session is ended. Set a new password if someone else knows yours.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert_eq!(local_path("/accounts/1/users?x=1"), Some("/accounts/1/users?x=1"));
        for other in ["//evil.example", "/\\evil.example", "https://evil.example", "evil", "", "/a\nb"] {
            assert_eq!(local_path(other), None, "{other:?}");
        }
    }

    #[test]
    fn next_round_trips_through_the_query() {
        #[derive(serde::Deserialize)]
        struct Q {
            next: String,
        }
        let q: Q = serde_html_form::from_str(&next("/a?b=c&d=e f")).unwrap();
        assert_eq!(q.next, "/a?b=c&d=e f");
        assert_eq!(outcome(Some("<script>")), None);
    }
}
