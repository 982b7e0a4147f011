//! Request bodies sent with `Content-Encoding: gzip` or `deflate` are decoded before they
//! are parsed, as DynamoDB decodes them; what does not decode, or decodes past the body
//! limit (a zip bomb), is refused without holding more than the limit in memory. Raw
//! HTTP/1.1 against the real binary: the SDKs hide these headers.

mod common;

use common::http::{Client, Response};
use common::{checked, deflate, gzip, peak_rss_bytes, Server};
use serde_json::json;

const CORAL: &str = "com.amazon.coral.service#";
/// The server's request body cap (`api_error::MAX_REQUEST_BODY_BYTES`): 17 MiB.
const MAX_BODY_BYTES: usize = 17 * 1024 * 1024;

fn create_table(c: &mut Client) {
    let r = checked(
        c.call(
            "CreateTable",
            &json!({
                "TableName": "Docs",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        )
        .expect("CreateTable"),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn put_body(pk: &str, text: &str) -> Vec<u8> {
    json!({"TableName": "Docs", "Item": {"pk": {"S": pk}, "text": {"S": text}}})
        .to_string()
        .into_bytes()
}

fn put_encoded(c: &mut Client, encoding: &str, body: &[u8]) -> Response {
    checked(
        c.call_raw("PutItem", &[("Content-Encoding", encoding)], body)
            .expect("PutItem"),
    )
}

fn stored_text(c: &mut Client, pk: &str) -> Option<String> {
    let r = checked(
        c.call(
            "GetItem",
            &json!({"TableName": "Docs", "Key": {"pk": {"S": pk}}}),
        )
        .expect("GetItem"),
    );
    r.json()["Item"]["text"]["S"].as_str().map(str::to_string)
}

fn assert_serialization_exception(r: &Response, message_part: &str) {
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["__type"], format!("{CORAL}SerializationException"), "{v}");
    let message = v["Message"].as_str().expect("a Message");
    assert!(message.contains(message_part), "{message}");
}

#[test]
fn gzip_and_deflate_bodies_are_decoded_before_parsing() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    create_table(&mut c);
    let long = "compressible ".repeat(2000);
    for (pk, encoding, body) in [
        ("g", "gzip", gzip(&put_body("g", &long))),
        ("x", "x-gzip", gzip(&put_body("x", "x-gzip is gzip"))),
        ("G", "GZIP", gzip(&put_body("G", "case does not matter"))),
        ("d", "deflate", deflate(&put_body("d", &long))),
        ("i", "identity", put_body("i", "identity is no coding")),
    ] {
        let r = put_encoded(&mut c, encoding, &body);
        assert_eq!(
            r.status,
            200,
            "{encoding}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let expected = match pk {
            "g" | "d" => long.as_str(),
            "x" => "x-gzip is gzip",
            "G" => "case does not matter",
            _ => "identity is no coding",
        };
        assert_eq!(
            stored_text(&mut c, pk).as_deref(),
            Some(expected),
            "{encoding}"
        );
    }
    // Two gzip members, one after the other, are one body (RFC 1952; DynamoDB agrees).
    let whole = put_body("two", "two members");
    let (head, tail) = whole.split_at(10);
    let mut two = gzip(head);
    two.extend(gzip(tail));
    let r = put_encoded(&mut c, "gzip", &two);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(stored_text(&mut c, "two").as_deref(), Some("two members"));
    // A compressed body over 64 KiB once decoded runs on the blocking pool, like a plain
    // one: the item is there either way.
    let big = "y".repeat(100 * 1024);
    let r = put_encoded(&mut c, "gzip", &gzip(&put_body("big", &big)));
    assert_eq!(r.status, 200);
    assert_eq!(stored_text(&mut c, "big").map(|t| t.len()), Some(big.len()));
}

/// DynamoDB answers these with a 500, which SDKs would retry in vain; Shale says what is
/// wrong with a 400 SerializationException, writes nothing, and keeps the connection.
#[test]
fn a_body_that_does_not_decode_is_a_serialization_exception() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    create_table(&mut c);
    let plain = put_body("bad", "never stored");
    let good_gzip = gzip(&plain);
    let mut junk_after = good_gzip.clone();
    junk_after.extend_from_slice(b"junk");
    let good_deflate = deflate(&plain);
    for (encoding, body, why) in [
        ("gzip", plain.clone(), "not valid gzip data"),
        ("gzip", Vec::new(), "the body is empty"),
        (
            "gzip",
            good_gzip[..good_gzip.len() - 1].to_vec(),
            "not valid gzip data",
        ),
        ("gzip", junk_after, "not valid gzip data"),
        ("deflate", plain.clone(), "not valid deflate data"),
        (
            "deflate",
            good_deflate[..good_deflate.len() - 2].to_vec(),
            "not valid deflate data",
        ),
    ] {
        let r = put_encoded(&mut c, encoding, &body);
        assert_serialization_exception(&r, why);
    }
    assert_eq!(stored_text(&mut c, "bad"), None);
}

#[test]
fn an_unknown_content_encoding_is_a_serialization_exception() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    create_table(&mut c);
    let body = put_body("br", "never stored");
    for encoding in ["br", "zstd", "compress", "gzip, deflate", "aws-chunked"] {
        let r = put_encoded(&mut c, encoding, &body);
        assert_serialization_exception(
            &r,
            &format!("Content-Encoding '{encoding}' is not supported"),
        );
    }
    assert_eq!(stored_text(&mut c, "br"), None);
}

/// A zip bomb: about 1 MB of gzip that would decode to 1 GiB. Decoding stops at the body
/// limit, with the 413 a plain body over the limit gets, and the server's peak memory
/// stays far below what the bomb would take.
#[test]
fn a_zip_bomb_is_refused_at_the_body_limit() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    create_table(&mut c);
    // 1,024 gzip members of 1 MiB of spaces each: each compresses to about 1 KB at the
    // best level.
    let member = {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b' '; 1024 * 1024])
            .expect("write to a Vec");
        e.finish().expect("finish a Vec")
    };
    let bomb: Vec<u8> = std::iter::repeat_n(member.as_slice(), 1024)
        .flatten()
        .copied()
        .collect();
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    // And a deflate stream, which cannot be concatenated: 40 MiB of one byte.
    let deflate_bomb = deflate(&vec![b'{'; 40 * 1024 * 1024]);
    for (encoding, body) in [("gzip", &bomb), ("deflate", &deflate_bomb)] {
        let r = put_encoded(&mut c, encoding, body);
        assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            r.json(),
            json!({
                "__type": format!("{CORAL}RequestEntityTooLargeException"),
                "Message": format!(
                    "request body exceeds {MAX_BODY_BYTES} bytes once decoded from {encoding}"
                )
            })
        );
    }
    // The same connection goes on: the whole body was read.
    let r = put_encoded(&mut c, "gzip", &gzip(&put_body("after", "still serving")));
    assert_eq!(r.status, 200);
    if let Some(peak) = peak_rss_bytes(server.pid()) {
        eprintln!("peak RSS after the bombs: {} MiB", peak / (1024 * 1024));
        assert!(
            peak < 256 * 1024 * 1024,
            "peak RSS {} MiB: decoding was not bounded",
            peak / (1024 * 1024)
        );
    }
}
