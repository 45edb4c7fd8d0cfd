//! Where a request came from: the client's network address (as the transport determined it) and
//! the user agent it named, bounded and printable, for session lists, new-sign-in notices and
//! the user's history.

/// The longest user agent kept; longer ones are cut (a header is the sender's to fill).
pub const MAX_USER_AGENT: usize = 256;
/// The longest client address kept (an IPv6 address with a zone fits).
pub const MAX_CLIENT_ADDRESS: usize = 64;

/// A request's origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(from = "RawClient"))]
pub struct ClientInfo {
    address: String,
    user_agent: String,
}

/// What deserialising reads; it becomes a [`ClientInfo`] through [`ClientInfo::new`], so serde
/// cannot skip the bounds.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawClient {
    address: String,
    user_agent: String,
}

#[cfg(feature = "serde")]
impl From<RawClient> for ClientInfo {
    fn from(raw: RawClient) -> Self {
        Self::new(&raw.address, Some(&raw.user_agent))
    }
}

/// `raw` without control characters, trimmed, cut to `max` bytes on a character boundary.
fn bounded(raw: &str, max: usize) -> String {
    let clean: String = raw.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    let mut end = clean.len().min(max);
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    clean[..end].to_owned()
}

impl ClientInfo {
    /// The origin from what the transport saw; never fails (a bad header is kept as well as it
    /// can be, never refused).
    pub fn new(address: &str, user_agent: Option<&str>) -> Self {
        Self {
            address: bounded(address, MAX_CLIENT_ADDRESS),
            user_agent: bounded(user_agent.unwrap_or(""), MAX_USER_AGENT),
        }
    }

    /// The client's network address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The user agent it named (empty when none).
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_user_agent_is_kept_bounded_and_printable() {
        let long = format!("Mozilla\r\nX-Evil: 1{}", "é".repeat(300));
        let c = ClientInfo::new(" 203.0.113.7 ", Some(&long));
        assert_eq!(c.address(), "203.0.113.7");
        assert!(c.user_agent().len() <= MAX_USER_AGENT);
        assert!(!c.user_agent().chars().any(char::is_control));
        assert!(c.user_agent().starts_with("MozillaX-Evil: 1"));
    }
}
