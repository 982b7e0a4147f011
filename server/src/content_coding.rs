//! HTTP content codings, as DynamoDB has them: request bodies sent with
//! `Content-Encoding: gzip` or `deflate` are decoded before parsing, and responses are
//! compressed with gzip or deflate when the client's `Accept-Encoding` allows it and the
//! body is at least [`COMPRESSION_THRESHOLD_BYTES`].
//!
//! What DynamoDB does, as observed by ScyllaDB's Alternator tests run against it
//! (scylladb/scylladb, `test/alternator/test_compressed_request.py` and
//! `test_compressed_response.py`):
//! - requests: gzip (several concatenated members too) and deflate; an unknown coding or a
//!   body that does not decode gets a 500 there. Shale answers 400 SerializationException
//!   instead (see [`ApiError::UndecodableBody`]): SDKs retry 5xx, and no retry can succeed.
//! - DynamoDB does not bound the decompressed size (a 1 GB body was accepted). Shale does:
//!   the decoded body is held to [`MAX_REQUEST_BODY_BYTES`], the limit a plain body has,
//!   and decoding stops there ([`ApiError::DecodedBodyTooLarge`], 413), so a zip bomb
//!   costs at most that much memory.
//! - responses: gzip or deflate, over 4 KB only, chosen from `Accept-Encoding` with its
//!   q-values ([`negotiate`]).
//!
//! `X-Amz-Crc32` is the CRC32 of the bytes sent, that is of the *compressed* body when the
//! response is compressed: the AWS SDKs check it before decompressing (botocore's
//! `CRC32Checker` hashes the raw body, read with `decode_content=False`; the Android and
//! Java SDKs' fixes for gzip compute it on the compressed stream, aws/aws-sdk-android#40;
//! aio-libs/aiobotocore#57 failed because aiohttp decompressed first). Clients that
//! decompress transparently (browsers, aiohttp) thus cannot check it; see [`crate::cors`]
//! for why browsers are not shown the header.
//!
//! It is not: streaming. Bodies are whole buffers, decoded and encoded in one piece off
//! the event loop ([`crate::http`]).

use std::io::{Read, Write};

use flate2::bufread::{MultiGzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;

use crate::api_error::{ApiError, MAX_QUOTED_HEADER_CHARS, MAX_REQUEST_BODY_BYTES};

/// Responses smaller than this are never compressed. DynamoDB's own threshold (4 KB, as
/// the Alternator tests above measured it), so a client sees compression exactly where
/// DynamoDB would compress; and below it the saving (a few hundred bytes, less than one
/// TCP segment) is not worth the CPU and the latency of compressing.
pub const COMPRESSION_THRESHOLD_BYTES: usize = 4096;

/// The deflate level for responses: 1, the fastest. A Scan page of JSON compresses about
/// 8.5× at level 1 and 9.8× at level 6, for 2.2× the CPU (zlib on the development
/// machine: 3.3 ms against 7.3 ms per MB); the server's CPU, shared with the engine, is
/// scarcer than the link to a DynamoDB-compatible endpoint.
pub const COMPRESSION_LEVEL: u32 = 1;

/// The most bytes one read from a decoder hands over.
const DECODE_CHUNK_BYTES: usize = 16 * 1024;

/// A content coding Shale decodes and produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentCoding {
    /// RFC 1952 gzip; several members may follow each other.
    Gzip,
    /// RFC 9110's "deflate": a zlib (RFC 1950) stream.
    Deflate,
}

impl ContentCoding {
    /// The coding's name in `Content-Encoding`.
    pub fn name(self) -> &'static str {
        match self {
            ContentCoding::Gzip => "gzip",
            ContentCoding::Deflate => "deflate",
        }
    }
}

/// The coding of a request body from its `Content-Encoding` header values (`None` when
/// absent or `identity`).
///
/// # Errors
/// [`ApiError::UnsupportedContentEncoding`] for any other coding, a list of more than one
/// (stacked codings, which no SDK sends), or a value that is not visible ASCII.
pub fn request_coding<'a>(
    values: impl Iterator<Item = &'a [u8]>,
) -> Result<Option<ContentCoding>, ApiError> {
    let mut found = None;
    let mut listed = 0usize;
    let mut whole = String::new();
    for value in values {
        let Ok(text) = std::str::from_utf8(value) else {
            return Err(unsupported(&String::from_utf8_lossy(value)));
        };
        if !whole.is_empty() {
            whole.push_str(", ");
        }
        whole.push_str(text);
        for token in text.split(',').map(str::trim) {
            if token.is_empty() || token.eq_ignore_ascii_case("identity") {
                continue;
            }
            listed += 1;
            found = if token.eq_ignore_ascii_case("gzip") || token.eq_ignore_ascii_case("x-gzip") {
                Some(ContentCoding::Gzip)
            } else if token.eq_ignore_ascii_case("deflate") {
                Some(ContentCoding::Deflate)
            } else {
                return Err(unsupported(&whole));
            };
        }
    }
    if listed > 1 {
        return Err(unsupported(&whole));
    }
    Ok(found)
}

fn unsupported(value: &str) -> ApiError {
    ApiError::UnsupportedContentEncoding {
        encoding: value.chars().take(MAX_QUOTED_HEADER_CHARS).collect(),
    }
}

/// `body` decoded from `coding`, refused once it passes [`MAX_REQUEST_BODY_BYTES`].
///
/// CPU-bound (about 17 MB of output at most): run it off the event loop.
///
/// # Errors
/// [`ApiError::DecodedBodyTooLarge`] past the limit; [`ApiError::UndecodableBody`] for an
/// empty, truncated or corrupt body, or one with bytes after its last gzip member or its
/// zlib stream.
pub fn decode_body(coding: ContentCoding, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    decode_body_within(coding, body, MAX_REQUEST_BODY_BYTES)
}

/// [`decode_body`] with the limit given (tests use a small one).
fn decode_body_within(
    coding: ContentCoding,
    body: &[u8],
    limit_bytes: usize,
) -> Result<Vec<u8>, ApiError> {
    let undecodable = |detail: String| ApiError::UndecodableBody {
        coding: coding.name(),
        detail,
    };
    if body.is_empty() {
        return Err(undecodable("the body is empty".to_string()));
    }
    match coding {
        ContentCoding::Gzip => read_bounded(&mut MultiGzDecoder::new(body), coding, limit_bytes),
        ContentCoding::Deflate => {
            let mut decoder = ZlibDecoder::new(body);
            let decoded = read_bounded(&mut decoder, coding, limit_bytes)?;
            // The zlib stream ended; anything after it is not part of the body.
            let rest = decoder.get_ref().len();
            if rest > 0 {
                return Err(undecodable(format!(
                    "{rest} bytes follow the end of the stream"
                )));
            }
            Ok(decoded)
        }
    }
}

/// Reads `decoder` to its end into a buffer that never grows past `limit_bytes`.
/// Terminates: each pass either returns or adds at least one byte, at most `limit_bytes`.
fn read_bounded(
    decoder: &mut impl Read,
    coding: ContentCoding,
    limit_bytes: usize,
) -> Result<Vec<u8>, ApiError> {
    let mut decoded = Vec::new();
    let mut chunk = vec![0u8; DECODE_CHUNK_BYTES];
    loop {
        let n = decoder
            .read(&mut chunk)
            .map_err(|e| ApiError::UndecodableBody {
                coding: coding.name(),
                detail: e.to_string(),
            })?;
        if n == 0 {
            return Ok(decoded);
        }
        if decoded.len() + n > limit_bytes {
            return Err(ApiError::DecodedBodyTooLarge {
                limit_bytes,
                coding: coding.name(),
            });
        }
        if decoded.capacity() - decoded.len() < n {
            // Doubling, but never past the limit: the buffer holds at most the limit.
            let target = (decoded.capacity() * 2)
                .max(decoded.len() + n)
                .max(DECODE_CHUNK_BYTES)
                .min(limit_bytes);
            decoded.reserve_exact(target - decoded.len());
        }
        decoded.extend_from_slice(&chunk[..n]);
        debug_assert!(decoded.len() <= limit_bytes && decoded.capacity() <= limit_bytes);
    }
}

/// The coding to answer in, from the request's `Accept-Encoding` header values (`None`:
/// send the body as is). DynamoDB reads only the last header when there are several.
///
/// As DynamoDB chooses (the Alternator tests above): the coding with the highest q-value
/// wins; q-values above 1 count as 1, below 0 as 0, and unparsable ones as 1; only a
/// codings's first `q` counts, and a coding listed twice keeps its best; `*` stands for
/// every coding not named; on a tie a named coding beats `*`, the first named beats the
/// later, and `*` alone means gzip; q=0 refuses. `identity` and unknown codings are
/// ignored, so they never stop compression.
pub fn negotiate<'a>(values: impl Iterator<Item = &'a [u8]>) -> Option<ContentCoding> {
    let header = std::str::from_utf8(values.last()?).ok()?;
    // (q, position) of each coding named; the q of `*`.
    let mut gzip: Option<(f32, usize)> = None;
    let mut deflate: Option<(f32, usize)> = None;
    let mut star: Option<f32> = None;
    for (position, entry) in header.split(',').enumerate() {
        let mut parts = entry.split(';');
        let token = parts.next().unwrap_or_default().trim();
        let q = parts
            .find_map(|param| {
                let (name, value) = param.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| quality(value))
            })
            .unwrap_or(1.0);
        let slot = if token.eq_ignore_ascii_case("gzip") {
            &mut gzip
        } else if token.eq_ignore_ascii_case("deflate") {
            &mut deflate
        } else {
            if token == "*" {
                star = Some(star.map_or(q, |s: f32| s.max(q)));
            }
            continue;
        };
        if slot.is_none_or(|(best, _)| q > best) {
            *slot = Some((q, position));
        }
    }
    // A candidate: (q, named position, or None for `*`), if acceptable at all.
    let effective = |named: Option<(f32, usize)>| {
        named
            .map(|(q, p)| (q, Some(p)))
            .or(star.map(|q| (q, None)))
            .filter(|(q, _)| *q > 0.0)
    };
    match (effective(gzip), effective(deflate)) {
        (None, None) => None,
        (Some(_), None) => Some(ContentCoding::Gzip),
        (None, Some(_)) => Some(ContentCoding::Deflate),
        (Some((qg, pg)), Some((qd, pd))) => {
            let deflate_wins = qd > qg
                || (qd == qg
                    && match (pg, pd) {
                        (Some(g), Some(d)) => d < g,
                        (None, Some(_)) => true,
                        _ => false,
                    });
            Some(if deflate_wins {
                ContentCoding::Deflate
            } else {
                ContentCoding::Gzip
            })
        }
    }
}

/// A q-value as DynamoDB reads it: clamped to 0..=1, 1 when it does not parse.
fn quality(text: &str) -> f32 {
    match text.trim().parse::<f32>() {
        Ok(q) if !q.is_nan() => q.clamp(0.0, 1.0),
        _ => 1.0,
    }
}

/// `body` compressed with `coding` at [`COMPRESSION_LEVEL`].
///
/// CPU-bound (a few ms per MB): large bodies are compressed off the event loop.
///
/// # Errors
/// Only what writing to a `Vec` can return, which is nothing in practice; the caller then
/// sends the body uncompressed.
pub fn encode_body(coding: ContentCoding, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let level = Compression::new(COMPRESSION_LEVEL);
    // JSON shrinks several-fold: a quarter is a good first guess.
    let out = Vec::with_capacity(body.len() / 4);
    match coding {
        ContentCoding::Gzip => {
            let mut encoder = GzEncoder::new(out, level);
            encoder.write_all(body)?;
            encoder.finish()
        }
        ContentCoding::Deflate => {
            let mut encoder = ZlibEncoder::new(out, level);
            encoder.write_all(body)?;
            encoder.finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiated(header: &str) -> Option<&'static str> {
        negotiate(std::iter::once(header.as_bytes())).map(ContentCoding::name)
    }

    /// The Accept-Encoding values the Alternator tests sent to DynamoDB, with the coding
    /// DynamoDB answered in.
    #[test]
    fn accept_encoding_is_read_as_dynamodb_reads_it() {
        for (header, expected) in [
            ("gzip", Some("gzip")),
            ("deflate", Some("deflate")),
            ("identity", None),
            ("", None),
            ("br", None),
            ("zstd", None),
            ("compress", None),
            ("x-gzip", None),
            ("gzip, deflate", Some("gzip")),
            ("br, identity, deflate, gzip", Some("deflate")),
            ("GZIP, identity", Some("gzip")),
            ("dog, gzip ,, cat", Some("gzip")),
            ("gzip;q=0.8, deflate;q=0.5", Some("gzip")),
            (
                "br, gzip;q=0, deflate; q = 0.5 , identity;q=0",
                Some("deflate"),
            ),
            ("*", Some("gzip")),
            ("*, deflate;q=0.5", Some("gzip")),
            ("*, deflate", Some("deflate")),
            ("*, identity", Some("gzip")),
            ("*, gzip;q=0.5", Some("deflate")),
            ("gzip ;q=0", None),
            ("identity;q=0", None),
            ("*;q=0", None),
            ("*;q=0.5,identity", Some("gzip")),
            ("gzip;q=0.5,identity;q=0.8", Some("gzip")),
            ("br;q=0.8,identity;q=0.5,*;q=0", None),
            ("\"gzip\"", None),
            ("gzip br", None),
            ("gzip:q=1", None),
            ("deflate;q=0.5, gzip;q=31", Some("gzip")),
            ("gzip;q=31,deflate;q=51", Some("gzip")),
            ("deflate;q=0.5, gzip;q=0.2", Some("deflate")),
            ("deflate;q=0.5, gzip;q=1;q=0.2", Some("gzip")),
            ("deflate;q=0.5,gzip;q=0.", Some("deflate")),
            ("deflate;q=0.5,gzip;q=0.x", Some("gzip")),
            ("deflate;q=-0.5,gzip;q=0.2", Some("gzip")),
            ("gzip;nq=1;q=0 ", None),
            ("gzip;q=0, gzip;q=1, gzip;q=0", Some("gzip")),
            ("br,identity;q=0.5,gzip;q=0.0001", Some("gzip")),
        ] {
            assert_eq!(negotiated(header), expected, "Accept-Encoding: {header:?}");
        }
    }

    #[test]
    fn only_the_last_accept_encoding_header_counts() {
        let values: [&[u8]; 2] = [b"identity", b"gzip"];
        assert_eq!(negotiate(values.into_iter()), Some(ContentCoding::Gzip));
        let values: [&[u8]; 2] = [b"gzip", b"identity"];
        assert_eq!(negotiate(values.into_iter()), None);
        assert_eq!(negotiate(std::iter::empty()), None);
    }

    fn coding_of(values: &[&str]) -> Result<Option<ContentCoding>, ApiError> {
        request_coding(values.iter().map(|v| v.as_bytes()))
    }

    #[test]
    fn request_codings_are_gzip_deflate_or_none() {
        assert_eq!(coding_of(&[]).ok(), Some(None));
        assert_eq!(coding_of(&["identity"]).ok(), Some(None));
        assert_eq!(coding_of(&["GZIP"]).ok(), Some(Some(ContentCoding::Gzip)));
        assert_eq!(coding_of(&["x-gzip"]).ok(), Some(Some(ContentCoding::Gzip)));
        assert_eq!(
            coding_of(&["identity, deflate"]).ok(),
            Some(Some(ContentCoding::Deflate))
        );
        for bad in [
            &["br"][..],
            &["gzip, gzip"],
            &["gzip", "deflate"],
            &["aws-chunked"],
        ] {
            let e = coding_of(bad).expect_err("refused");
            assert!(
                matches!(e, ApiError::UnsupportedContentEncoding { .. }),
                "{bad:?}: {e:?}"
            );
            assert_eq!(e.exception_name(), "SerializationException");
        }
        let long = "x".repeat(1000);
        match coding_of(&[&long]) {
            Err(ApiError::UnsupportedContentEncoding { encoding }) => {
                assert_eq!(encoding.len(), MAX_QUOTED_HEADER_CHARS);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bodies_round_trip_through_both_codings() {
        let body = br#"{"TableName":"T","Item":{"pk":{"S":"a"}}}"#.repeat(50);
        for coding in [ContentCoding::Gzip, ContentCoding::Deflate] {
            let encoded = encode_body(coding, &body).expect("encodes");
            assert!(
                encoded.len() < body.len() / 4,
                "{coding:?}: {}",
                encoded.len()
            );
            assert_eq!(
                decode_body(coding, &encoded).ok().as_deref(),
                Some(&body[..])
            );
        }
    }

    #[test]
    fn concatenated_gzip_members_are_one_body() {
        let mut two = encode_body(ContentCoding::Gzip, b"{\"Table").expect("encodes");
        two.extend(encode_body(ContentCoding::Gzip, b"Name\":\"T\"}").expect("encodes"));
        assert_eq!(
            decode_body(ContentCoding::Gzip, &two).ok().as_deref(),
            Some(&b"{\"TableName\":\"T\"}"[..])
        );
    }

    #[test]
    fn broken_bodies_are_undecodable() {
        for coding in [ContentCoding::Gzip, ContentCoding::Deflate] {
            let good = encode_body(coding, b"{\"TableName\":\"T\"}").expect("encodes");
            let mut junk = good.clone();
            junk.extend_from_slice(b"junk");
            for bad in [
                &b""[..],
                &b"{\"TableName\":\"T\"}"[..],
                &good[..good.len() - 1],
                &junk,
            ] {
                let e = decode_body(coding, bad).expect_err("undecodable");
                assert!(
                    matches!(e, ApiError::UndecodableBody { .. }),
                    "{coding:?} {bad:?}: {e:?}"
                );
            }
        }
    }

    /// A bomb stops at the limit: the buffer never holds more, whatever the ratio.
    #[test]
    fn decoding_stops_at_the_limit() {
        let limit = 100_000;
        for coding in [ContentCoding::Gzip, ContentCoding::Deflate] {
            let exactly = encode_body(coding, &vec![b' '; limit]).expect("encodes");
            assert_eq!(
                decode_body_within(coding, &exactly, limit)
                    .map(|b| b.len())
                    .ok(),
                Some(limit)
            );
            let bomb = encode_body(coding, &vec![b' '; 10 * limit]).expect("encodes");
            assert!(bomb.len() < limit / 10, "{}", bomb.len());
            let e = decode_body_within(coding, &bomb, limit).expect_err("too large");
            assert!(
                matches!(e, ApiError::DecodedBodyTooLarge { limit_bytes, .. } if limit_bytes == limit),
                "{e:?}"
            );
            assert_eq!(e.status(), hyper::StatusCode::PAYLOAD_TOO_LARGE);
        }
    }
}
