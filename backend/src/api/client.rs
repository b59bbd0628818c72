//! Which address a request comes from: the peer, or, when the peer is one of our own proxies
//! (`TRUSTED_PROXIES`), the address that proxy says it forwarded for.

use std::future::{Ready, ready};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::config::TrustedProxies;
use crate::error::ApiError;
use crate::state::AppState;

/// The address a request comes from, as far as we can trust it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The request's client, walking `X-Forwarded-For` from the nearest hop outwards for as long as each hop
    /// is a trusted proxy. Every hop appends the address it received the request from, so the first untrusted
    /// address is the one no one we trust could have made up; what is further left the client wrote itself.
    pub fn resolve(peer: IpAddr, forwarded_for: &[&str], trusted: &TrustedProxies) -> Self {
        let mut client = canonical(peer);
        if !trusted.contains(client) {
            return Self(client);
        }
        let hops = forwarded_for.iter().flat_map(|header| header.split(',')).map(str::trim);
        for hop in hops.collect::<Vec<_>>().into_iter().rev() {
            let Some(address) = parse_hop(hop) else {
                // Garbage from the client itself (a trusted proxy writes addresses): the last good hop it is.
                break;
            };
            client = canonical(address);
            if !trusted.contains(client) {
                break;
            }
        }
        Self(client)
    }

    /// The address as the sign-in throttle counts it: an IPv6 client has a whole /64 to itself (one address
    /// per request is free to it), so it is counted by its /64.
    pub fn throttle_key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        }
    }
}

/// An `X-Forwarded-For` entry: an address, or (from some proxies) an address with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// IPv4 clients of a dual-stack listener arrive as `::ffff:a.b.c.d`; they are the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

impl FromRequest for ClientAddress {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(peer) = req.peer_addr() else {
            return ready(Err(ApiError::internal("the request has no peer address")));
        };
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(ApiError::internal("application state missing")));
        };
        let forwarded_for: Vec<&str> =
            req.headers().get_all("x-forwarded-for").filter_map(|value| value.to_str().ok()).collect();
        ready(Ok(Self::resolve(peer.ip(), &forwarded_for, &state.trusted_proxies)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn resolve(peer: &str, forwarded_for: &[&str], trusted: &str) -> IpAddr {
        ClientAddress::resolve(ip(peer), forwarded_for, &TrustedProxies::parse(trusted).unwrap()).0
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        assert_eq!(resolve("203.0.113.9", &["198.51.100.1"], ""), ip("203.0.113.9"));
        assert_eq!(resolve("203.0.113.9", &["198.51.100.1"], "10.0.0.0/8"), ip("203.0.113.9"));
        assert_eq!(resolve("10.0.0.2", &["198.51.100.1"], "10.0.0.0/8"), ip("198.51.100.1"));
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client_and_what_it_wrote_is_ignored() {
        // The client sent `X-Forwarded-For: 1.1.1.1` itself; nginx appended the address it saw.
        assert_eq!(resolve("10.0.0.2", &["1.1.1.1, 198.51.100.7"], "10.0.0.0/8"), ip("198.51.100.7"));
        // Two proxies of ours, each header line a hop.
        assert_eq!(resolve("10.0.0.2", &["1.1.1.1, 198.51.100.7", "10.0.0.3"], "10.0.0.0/8"), ip("198.51.100.7"));
        // Garbage nearest to us stops the walk at the last address a proxy of ours vouched for.
        assert_eq!(resolve("10.0.0.2", &["198.51.100.7, nonsense"], "10.0.0.0/8"), ip("10.0.0.2"));
        // No header at all: the proxy itself.
        assert_eq!(resolve("10.0.0.2", &[], "10.0.0.0/8"), ip("10.0.0.2"));
        // Ports and IPv6 forms.
        assert_eq!(resolve("10.0.0.2", &["198.51.100.7:5123"], "10.0.0.0/8"), ip("198.51.100.7"));
        assert_eq!(resolve("10.0.0.2", &["[2001:db8::1]:443"], "10.0.0.0/8"), ip("2001:db8::1"));
        assert_eq!(resolve("::ffff:10.0.0.2", &["::ffff:198.51.100.7"], "10.0.0.0/8"), ip("198.51.100.7"));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a = ClientAddress(ip("2001:db8:1:2:aaaa::1"));
        let b = ClientAddress(ip("2001:db8:1:2:bbbb::9"));
        assert_eq!(a.throttle_key(), b.throttle_key());
        assert_eq!(a.throttle_key(), "2001:db8:1:2::/64");
        assert_eq!(ClientAddress(ip("198.51.100.7")).throttle_key(), "198.51.100.7");
    }
}
