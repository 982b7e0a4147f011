//! Arbitrary bytes as a sequence of DynamoDB API requests (X-Amz-Target, Content-Type and
//! body each), run through the server's request steps against a fresh in-memory database;
//! every response must keep the wire contract (`shale_server::fuzzing::run_requests`
//! documents the grammar and the checks). Seeds: `fuzz/corpus/http_request/`, replayed on
//! stable by `server/tests/server_fuzz_corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = shale_server::fuzzing::run_requests(data);
});
