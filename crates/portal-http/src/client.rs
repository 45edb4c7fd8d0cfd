//! Who the client is: the socket's peer, or, when that peer is a trusted proxy, the address the
//! proxy says it forwarded for (`Forwarded`, else `X-Forwarded-For`). IPv6 clients are grouped
//! by their /64, the smallest network one subscriber usually holds, so a limit per client is
//! not escaped by walking through one's own addresses.

use std::net::IpAddr;

use ipnet::IpNet;
use poem::Request;
use poem::http::HeaderMap;

/// The client a request counts against, as set on every request by the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

/// The client of `req`, given the proxies whose forwarding headers are believed.
pub fn client_of(req: &Request, trusted: &[IpNet]) -> ClientAddr {
    client_from(req.remote_addr().as_socket_addr().map(|a| a.ip()), req.headers(), trusted)
}

/// The client of `req` with the user agent it names: what sessions and a user's history record.
pub fn client_info(req: &Request, trusted: &[IpNet]) -> portal_domain::values::ClientInfo {
    let agent = req.headers().get(poem::http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    portal_domain::values::ClientInfo::new(&client_of(req, trusted).0, agent)
}

/// [`client_of`] from the peer's address and the request's headers.
pub fn client_from(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> ClientAddr {
    let Some(peer) = peer else {
        return ClientAddr("unknown".into());
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = canonical(peer);
    if is_trusted(&client) {
        // Walk the chain from the nearest hop: the first address no trusted proxy wrote is the client.
        for hop in forwarded_chain(headers).into_iter().rev() {
            client = hop;
            if !is_trusted(&hop) {
                break;
            }
        }
    }
    ClientAddr(group(client))
}

/// The addresses of the forwarding chain, farthest first; unparsable entries end it.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let forwarded: Vec<&str> = headers.get_all("forwarded").iter().filter_map(|v| v.to_str().ok()).collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.eq_ignore_ascii_case("for").then(|| parse_node(value))?
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|hop| parse_node(hop.trim()))
        .collect()
}

/// `192.0.2.1`, `"[2001:db8::1]:4711"`, `198.51.100.7:80` as an address.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Some(rest) = raw.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok()).map(canonical);
    }
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    raw.rsplit_once(':').and_then(|(ip, _)| ip.parse::<std::net::Ipv4Addr>().ok()).map(IpAddr::V4)
}

/// An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn group(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(_) => IpNet::new(ip, 64).map(|n| n.trunc().to_string()).unwrap_or_else(|_| ip.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Req(Option<IpAddr>, HeaderMap);

    fn request(peer: &str, headers: &[(&str, &str)]) -> Req {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (name.parse::<poem::http::HeaderName>(), value.parse()) {
                map.append(name, value);
            }
        }
        Req(peer.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()), map)
    }

    fn client_of(req: &Req, trusted: &[IpNet]) -> ClientAddr {
        client_from(req.0, &req.1, trusted)
    }

    fn proxies() -> Vec<IpNet> {
        vec!["10.0.0.0/8".parse().unwrap_or_else(|_| IpNet::default())]
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let spoofed = request("203.0.113.9:5000", &[("x-forwarded-for", "198.51.100.1")]);
        assert_eq!(client_of(&spoofed, &proxies()).0, "203.0.113.9");
        let proxied = request("10.1.2.3:5000", &[("x-forwarded-for", "198.51.100.1, 10.9.9.9")]);
        assert_eq!(client_of(&proxied, &proxies()).0, "198.51.100.1");
        // A client cannot pick its own address by prepending one: the nearest untrusted hop counts.
        let chained = request("10.1.2.3:5000", &[("x-forwarded-for", "1.1.1.1, 198.51.100.1")]);
        assert_eq!(client_of(&chained, &proxies()).0, "198.51.100.1");
        let forwarded = request("10.1.2.3:5000", &[("forwarded", "for=\"[2001:db8:1:2::7]:4711\";proto=https")]);
        assert_eq!(client_of(&forwarded, &proxies()).0, "2001:db8:1:2::/64");
        assert_eq!(client_of(&proxied, &[]).0, "10.1.2.3");
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64() {
        let a = request("[2001:db8:1:2:aaaa::1]:5000", &[]);
        let b = request("[2001:db8:1:2:bbbb::9]:5000", &[]);
        let c = request("[2001:db8:1:3::1]:5000", &[]);
        assert_eq!(client_of(&a, &[]), client_of(&b, &[]));
        assert_ne!(client_of(&a, &[]), client_of(&c, &[]));
        assert_eq!(client_of(&request("[::ffff:192.0.2.1]:80", &[]), &[]).0, "192.0.2.1");
    }
}
