//! `--manual-clock`: time moves only through `POST /_shale/clock/advance?seconds=N`, and
//! a server started without the flag answers that path 404 like any unknown one.

mod common;

use common::http::{Client, Response};
use common::Server;

fn advance(c: &mut Client, query: &str) -> Response {
    c.request("POST", &format!("/_shale/clock/advance{query}"), &[], b"")
        .unwrap()
}

#[test]
fn the_clock_moves_only_when_told_and_only_with_the_flag() {
    let plain = Server::in_memory();
    let mut c = Client::connect(plain.addr).unwrap();
    assert_eq!(advance(&mut c, "?seconds=60").status, 404);

    let manual = Server::start(&["--in-memory", "--manual-clock"]);
    let mut c = Client::connect(manual.addr).unwrap();
    let t0: u64 = String::from_utf8(advance(&mut c, "?seconds=0").body)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let t1: u64 = String::from_utf8(advance(&mut c, "?seconds=3600").body)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        t1 - t0,
        3_600_000_000,
        "exactly the hour asked for, no wall time"
    );
    for bad in ["", "?seconds=x", "?seconds=-1", "?seconds=999999999999"] {
        assert_eq!(advance(&mut c, bad).status, 400, "{bad}");
    }
}
