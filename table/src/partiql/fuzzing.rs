//! The PartiQL parser's fuzzing entry point (`fuzz/fuzz_targets/partiql_parser.rs`):
//! any bytes, never a panic or a stack overflow.

use crate::types::AttributeValue;

/// Parses `data` as a statement (lossy UTF-8) with two string parameters; the result is
/// thrown away: only a panic or a hang is a failure.
pub fn parse_statement(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let params = [AttributeValue::S("p".into()), AttributeValue::S("q".into())];
    let _ = super::parse::parse(&text, &params);
    let _ = super::parse::parse(&text, &[]);
}
