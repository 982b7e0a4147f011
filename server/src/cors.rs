//! CORS, as DynamoDB answers browsers: any origin may call, preflights are answered by
//! echoing what they ask for, and scripts may read the request id.
//!
//! What DynamoDB sends, and so Shale:
//! - to an `OPTIONS` preflight with `Origin` (any path): 200 with an empty body,
//!   `Access-Control-Allow-Origin: *`, `Access-Control-Allow-Methods` and
//!   `Access-Control-Allow-Headers` echoing the request's `Access-Control-Request-Method`
//!   and `Access-Control-Request-Headers`, [`EXPOSE_HEADERS`] and
//!   `Access-Control-Max-Age: 172800` (AllanZhengYP/cors-test's `output.md`, which
//!   recorded `curl -X OPTIONS https://dynamodb.us-east-1.amazonaws.com/` on 2020-10-15);
//! - to any other request with `Origin`: `Access-Control-Allow-Origin: *` and
//!   `Access-Control-Expose-Headers`, but no `Max-Age` or `Allow-*`; to a request without
//!   `Origin`, no CORS header at all (scylladb/scylladb's `test/alternator/test_cors.py`,
//!   which passes against DynamoDB).
//!
//! Why `X-Amz-Crc32` is not exposed, as DynamoDB does not: a browser asks for gzip on
//! its own and hands scripts the decompressed body, while the header is the CRC of the
//! compressed bytes ([`crate::content_coding`]). An SDK that could read the header (the
//! JavaScript SDK v2 checks it when it can) would see a mismatch on every compressed
//! response and retry until it gave up. Hidden, the check is skipped.

use hyper::header::{
    HeaderMap, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
};
use hyper::Method;

/// The response headers a script may read: DynamoDB's list.
pub const EXPOSE_HEADERS: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date";
/// How long a browser may cache a preflight's answer, in seconds: DynamoDB's two days.
pub const MAX_AGE_SECS: u32 = 172_800;

/// The CORS headers one response gets, worked out from its request before the request
/// is consumed.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    /// The request had an `Origin`: it came from a browser script.
    cross_origin: bool,
    /// For a preflight: the method and headers to allow (echoed, when asked for).
    preflight: Option<Preflight>,
}

#[derive(Debug, Clone)]
struct Preflight {
    method: Option<HeaderValue>,
    headers: Option<HeaderValue>,
}

impl Cors {
    /// What a request with `method` and `headers` is owed.
    pub fn for_request(method: &Method, headers: &HeaderMap) -> Cors {
        let cross_origin = headers.contains_key(ORIGIN);
        let preflight = (cross_origin && method == Method::OPTIONS).then(|| Preflight {
            method: headers.get(ACCESS_CONTROL_REQUEST_METHOD).cloned(),
            headers: headers.get(ACCESS_CONTROL_REQUEST_HEADERS).cloned(),
        });
        Cors {
            cross_origin,
            preflight,
        }
    }

    /// Adds the headers to a response. The echoed values are the client's own, already
    /// within hyper's header size limit.
    pub fn apply(self, response: &mut HeaderMap) {
        if !self.cross_origin {
            return;
        }
        response.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        response.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        if let Some(preflight) = self.preflight {
            response.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(MAX_AGE_SECS));
            if let Some(method) = preflight.method {
                response.insert(ACCESS_CONTROL_ALLOW_METHODS, method);
            }
            if let Some(headers) = preflight.headers {
                response.insert(ACCESS_CONTROL_ALLOW_HEADERS, headers);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn applied(method: Method, request: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut response = HeaderMap::new();
        Cors::for_request(&method, &headers(request)).apply(&mut response);
        response
    }

    #[test]
    fn no_origin_no_cors_headers() {
        for method in [Method::OPTIONS, Method::GET, Method::POST] {
            let request = [("access-control-request-method", "POST")];
            assert!(applied(method, &request).is_empty());
        }
    }

    #[test]
    fn a_preflight_echoes_what_it_asks_for() {
        let response = applied(
            Method::OPTIONS,
            &[
                ("origin", "http://example.com"),
                ("access-control-request-method", "dog"),
                ("access-control-request-headers", "cat, meerkat, mouse"),
            ],
        );
        assert_eq!(response["access-control-allow-origin"], "*");
        assert_eq!(response["access-control-allow-methods"], "dog");
        assert_eq!(
            response["access-control-allow-headers"],
            "cat, meerkat, mouse"
        );
        assert_eq!(response["access-control-max-age"], "172800");
        assert_eq!(response["access-control-expose-headers"], EXPOSE_HEADERS);
    }

    #[test]
    fn other_methods_get_only_allow_origin_and_expose_headers() {
        for method in [Method::GET, Method::POST] {
            let response = applied(
                method,
                &[
                    ("origin", "http://example.com"),
                    ("access-control-request-method", "dog"),
                ],
            );
            assert_eq!(response.len(), 2, "{response:?}");
            assert_eq!(response["access-control-allow-origin"], "*");
            assert!(!EXPOSE_HEADERS.to_ascii_lowercase().contains("crc32"));
        }
    }
}
