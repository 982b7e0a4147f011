//! Entry point for `fuzz/fuzz_targets/item_codec.rs` and its stable corpus replay
//! (`table/tests/types_codec_fuzz_corpus_replay.rs`): arbitrary bytes through the storage
//! codecs, the item codec ([`decode_item`]) and the sortable key codec
//! ([`decode_key_value`]).
//!
//! What it checks, whatever the bytes:
//! - decoding returns a value or a [`DecodeError`], never panics;
//! - an item that decodes encodes back to the very same bytes (the decoder accepts only
//!   the canonical form the encoder writes), and that encoding decodes to the same item;
//! - a key value that decodes encodes back to the bytes it used, and decodes again to
//!   itself.

use super::{decode_item, decode_key_value, encode_item, encode_key_value, ScalarType};

/// The key types, picked by the first byte of the input for the key codec.
const KEY_TYPES: [ScalarType; 3] = [ScalarType::S, ScalarType::N, ScalarType::B];

/// Runs `data` through both codecs (see the module doc). Returns how many of the two
/// decoded, so tests can tell valid seeds from invalid ones.
///
/// # Panics
/// When a decoded value does not re-encode to its bytes or does not round-trip: a codec
/// bug, which is what the fuzzer looks for.
pub fn decode_and_round_trip(data: &[u8]) -> usize {
    let mut decoded = 0;
    if let Ok(item) = decode_item(data) {
        decoded += 1;
        let mut again = Vec::with_capacity(data.len());
        encode_item(&item, &mut again).expect("a decoded item is never nested too deep");
        assert_eq!(again, data, "a decoded item re-encodes to other bytes");
        assert_eq!(
            decode_item(&again).as_ref(),
            Ok(&item),
            "the re-encoded item decodes to another item"
        );
    }
    if let Some((&selector, rest)) = data.split_first() {
        let key_type = KEY_TYPES[usize::from(selector) % KEY_TYPES.len()];
        if let Ok((value, used)) = decode_key_value(key_type, rest) {
            decoded += 1;
            assert!(used <= rest.len(), "used {used} of {} bytes", rest.len());
            let mut again = Vec::with_capacity(used);
            encode_key_value(&value, &mut again).expect("a decoded key value encodes");
            assert_eq!(
                again,
                rest[..used],
                "a decoded {key_type:?} key re-encodes to other bytes"
            );
            assert_eq!(
                decode_key_value(key_type, &again),
                Ok((value, used)),
                "the re-encoded key decodes to another value"
            );
        }
    }
    decoded
}
