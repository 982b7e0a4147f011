//! `GET /` is DynamoDB's health check: `200 healthy: <host>`, the host the client asked
//! for (its `Host` header), or the server's own address when a request names none. Other
//! GET paths stay 404, except `/healthz` and `/metrics`.

mod common;

use common::http::Client;
use common::{checked, Server};

#[test]
fn get_root_answers_healthy_with_the_host_asked_for() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    // The test client sends `Host: localhost`.
    let r = checked(c.request("GET", "/", &[], b"").expect("GET /"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.body, b"healthy: localhost");

    let raw = format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    let r = checked(c.send_raw(raw.as_bytes()).expect("GET / with the address"));
    assert_eq!(
        String::from_utf8(r.body).expect("text"),
        format!("healthy: {}", server.addr)
    );

    // HTTP/1.0 needs no Host: the address the connection reached stands in.
    let mut c = Client::connect(server.addr).expect("connect");
    let r = checked(
        c.send_raw(b"GET / HTTP/1.0\r\n\r\n")
            .expect("GET / without Host"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8(r.body).expect("text"),
        format!("healthy: {}", server.addr)
    );
}

#[test]
fn other_get_paths_stay_404() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    for path in ["/abc", "/-", "/index.htm", "/health", "/healthy"] {
        let r = checked(c.request("GET", path, &[], b"").expect("GET"));
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.body, b"<UnknownOperationException/>\n");
    }
    let r = checked(
        c.request("GET", "/healthz", &[], b"")
            .expect("GET /healthz"),
    );
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ok\n"[..]));
    let r = checked(
        c.request("GET", "/metrics", &[], b"")
            .expect("GET /metrics"),
    );
    assert_eq!(r.status, 200);
}
