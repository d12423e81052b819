//! Who the client is, and how often it may call the expensive or
//! abusable endpoints.
//!
//! The client address is the TCP peer, unless the peer is a configured
//! trusted proxy (`trusted_proxies`): then it is the rightmost
//! `X-Forwarded-For` hop that is not itself a trusted proxy. Hops left of
//! it were written by the client and are never believed, so a client
//! cannot pick the address it is limited under. IPv6 clients are limited
//! per /64 (one subscriber's allocation), IPv4-mapped addresses as IPv4.
//!
//! Rate limits are per client address and per class (submissions,
//! registration, login, key material): a GCRA bucket of `burst` requests
//! refilled at `per_minute` (governor's keyed limiter). Beyond it the
//! answer is `429 rate_limited` with `Retry-After`, before the request
//! body is read. The buckets of quiet addresses are dropped every minute,
//! so a flood from many addresses costs memory only while it lasts.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpRequest, ResponseError};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use crate::config::{RateLimit, RateLimits};
use crate::http::error::ApiError;

/// The networks whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR networks
    /// (`10.0.0.1, 192.168.0.0/16, ::1`); an empty list trusts no proxy.
    pub fn parse(list: &str) -> anyhow::Result<Self> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(n) => n,
                Err(_) => match item.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => anyhow::bail!(
                        "trusted_proxies: {item:?} is neither an IP address nor a CIDR network"
                    ),
                },
            };
            nets.push(net);
        }
        Ok(Self(nets))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client address of a request from `peer` carrying the
    /// `X-Forwarded-For` values `forwarded` (every header, in order).
    pub fn client<'a>(
        &self,
        peer: Option<IpAddr>,
        forwarded: impl Iterator<Item = &'a str>,
    ) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // A hop we cannot read ends the chain: the proxy that wrote it
            // is the last address we know.
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        Some(client)
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The key a client is limited under: IPv4 as is, IPv6 per /64.
fn limit_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let mut seg = v6.segments();
            seg[4..].fill(0);
            IpAddr::V6(seg.into())
        }
        v4 => v4,
    }
}

/// What a limit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `POST /api/campaigns/{id}/contributions`.
    Submit,
    /// `POST /api/auth/register`.
    Register,
    /// `POST /api/auth/login`.
    Login,
    /// A campaign's key material and its binary parts.
    Material,
}

impl Class {
    fn what(self) -> &'static str {
        match self {
            Class::Submit => "submissions",
            Class::Register => "registrations",
            Class::Login => "login attempts",
            Class::Material => "key material requests",
        }
    }
}

/// Client-address resolution and the rate limiters (one per class).
pub struct Throttle {
    proxies: TrustedProxies,
    submit: Option<DefaultKeyedRateLimiter<IpAddr>>,
    register: Option<DefaultKeyedRateLimiter<IpAddr>>,
    login: Option<DefaultKeyedRateLimiter<IpAddr>>,
    material: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

fn limiter(limit: &RateLimit) -> Option<DefaultKeyedRateLimiter<IpAddr>> {
    let per_minute = NonZeroU32::new(limit.per_minute)?;
    let burst = NonZeroU32::new(limit.burst.max(1))?;
    Some(RateLimiter::keyed(
        Quota::per_minute(per_minute).allow_burst(burst),
    ))
}

impl Throttle {
    /// Limiters for `limits` (a class with `per_minute = 0` is unlimited).
    pub fn new(limits: &RateLimits, proxies: TrustedProxies) -> Self {
        Self {
            proxies,
            submit: limiter(&limits.submit),
            register: limiter(&limits.register),
            login: limiter(&limits.login),
            material: limiter(&limits.material),
        }
    }

    /// The client address of `req` (see the module documentation).
    pub fn client_of(&self, req: &HttpRequest) -> Option<IpAddr> {
        self.proxies.client(
            req.peer_addr().map(|a| a.ip()),
            req.headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok()),
        )
    }

    /// Whether `req` reached a trusted proxy over HTTPS (its last
    /// `X-Forwarded-Proto` says `https`): only then is HSTS sent, since the
    /// server itself speaks plain HTTP.
    pub fn forwarded_https(&self, req: &HttpRequest) -> bool {
        let trusted = req.peer_addr().is_some_and(|a| self.proxies.trusts(a.ip()));
        trusted
            && req
                .headers()
                .get_all("x-forwarded-proto")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
    }

    /// Takes one request of `class` from `client`'s bucket, or answers
    /// `429 rate_limited` with the seconds until one is free.
    pub fn check(&self, class: Class, client: Option<IpAddr>) -> Result<(), ApiError> {
        let limiter = match class {
            Class::Submit => &self.submit,
            Class::Register => &self.register,
            Class::Login => &self.login,
            Class::Material => &self.material,
        };
        let (Some(limiter), Some(ip)) = (limiter, client) else {
            return Ok(());
        };
        limiter.check_key(&limit_key(ip)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::rate_limited(
                format!("too many {} from your address; retry later", class.what()),
                u32::try_from(wait.as_secs() + 1).unwrap_or(u32::MAX),
            )
        })
    }

    /// Drops the buckets of addresses that are full again (call every
    /// minute or so).
    pub fn forget_quiet(&self) {
        for l in [&self.submit, &self.register, &self.login, &self.material]
            .into_iter()
            .flatten()
        {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// The client address, as an extractor (see [`Throttle::client_of`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The address as text (empty when unknown), for counters and logs.
    pub fn key(&self) -> String {
        self.0
            .map(|ip| limit_key(ip).to_string())
            .unwrap_or_default()
    }
}

impl FromRequest for ClientAddr {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let addr = match req.app_data::<web::Data<Throttle>>() {
            Some(t) => t.client_of(req),
            None => req.peer_addr().map(|a| a.ip()),
        };
        std::future::ready(Ok(ClientAddr(addr)))
    }
}

async fn gate<B: MessageBody + 'static>(
    class: Class,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    if let Some(t) = req.app_data::<web::Data<Throttle>>() {
        if let Err(e) = t.check(class, t.client_of(req.request())) {
            // Answered here, before the body is read, as a response (not an
            // error) so the outer middleware still adds its headers.
            let resp = e.error_response();
            return Ok(req.into_response(resp).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Middleware: `Strict-Transport-Security` on every response to a
/// request that reached a trusted proxy over HTTPS.
pub async fn hsts<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<Throttle>>()
        .is_some_and(|t| t.forwarded_https(req.request()));
    let mut res = next.call(req).await?;
    if https {
        res.headers_mut().insert(
            actix_web::http::header::STRICT_TRANSPORT_SECURITY,
            actix_web::http::header::HeaderValue::from_static(
                "max-age=31536000; includeSubDomains",
            ),
        );
    }
    Ok(res)
}

/// Middleware: the submissions limit.
pub async fn submissions<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    gate(Class::Submit, req, next).await
}

/// Middleware: the registration limit.
pub async fn registrations<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    gate(Class::Register, req, next).await
}

/// Middleware: the login limit.
pub async fn logins<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    gate(Class::Login, req, next).await
}

/// Middleware: the key material limit.
pub async fn material<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    gate(Class::Material, req, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(Some(ip("203.0.113.9")), ["1.2.3.4"].into_iter()),
            Some(ip("203.0.113.9")),
            "an untrusted peer cannot name another address"
        );
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.1").unwrap();
        assert_eq!(
            proxies.client(Some(ip("10.1.2.3")), ["198.51.100.7"].into_iter()),
            Some(ip("198.51.100.7"))
        );
        // The client prepends a forged hop: the rightmost untrusted one wins.
        assert_eq!(
            proxies.client(
                Some(ip("10.1.2.3")),
                ["6.6.6.6, 198.51.100.7", "192.0.2.1"].into_iter()
            ),
            Some(ip("198.51.100.7"))
        );
        // No header from a trusted proxy: the proxy itself.
        assert_eq!(
            proxies.client(Some(ip("10.1.2.3")), std::iter::empty()),
            Some(ip("10.1.2.3"))
        );
        // An unreadable hop ends the chain at the last proxy.
        assert_eq!(
            proxies.client(Some(ip("10.1.2.3")), ["1.1.1.1, garbage"].into_iter()),
            Some(ip("10.1.2.3"))
        );
        assert_eq!(
            proxies.client(Some(ip("::ffff:10.0.0.1")), ["2001:db8::1"].into_iter()),
            Some(ip("2001:db8::1"))
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("::ffff:192.0.2.5")), ip("192.0.2.5"));
    }

    #[test]
    fn a_bucket_empties_and_other_addresses_are_unaffected() {
        let limits = RateLimits {
            login: RateLimit {
                per_minute: 1,
                burst: 3,
            },
            ..RateLimits::default()
        };
        let t = Throttle::new(&limits, TrustedProxies::default());
        let a = Some(ip("192.0.2.1"));
        for _ in 0..3 {
            t.check(Class::Login, a).unwrap();
        }
        let e = t.check(Class::Login, a).unwrap_err();
        assert_eq!(e.code(), "rate_limited");
        assert_eq!(e.error_response().status(), 429);
        let resp = e.error_response();
        let retry: u64 = resp
            .headers()
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=61).contains(&retry), "{retry}");
        t.check(Class::Login, Some(ip("192.0.2.2"))).unwrap();
        // Classes are separate buckets.
        t.check(Class::Material, a).unwrap();
    }
}
