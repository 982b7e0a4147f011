//! [`Value`]: a value a scan yields, sharing the memory it was read from when it can.
//!
//! Why: a scan used to copy every value it returned into a fresh `Vec` (out of a data
//! block or the memtable), and most callers only read the bytes once: YCSB E's scans
//! spent 3% of their CPU in that copy and more in its allocation and free. A `Value`
//! read from a table shares the cached block; one read from the memtable shares the
//! memtable's allocation; one built by a backend without either owns its bytes.
//!
//! Reading it is `Deref<Target = [u8]>`; [`Value::into_vec`] gives the bytes as a `Vec`
//! (moved when owned, copied otherwise). A shared value keeps what it shares alive (a
//! whole data block, of the table's block size and up to about twice that in memory, or
//! a memtable entry's bytes) until it is dropped, so code that keeps values for long
//! should keep `Vec`s.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use shale_sstable::BlockValue;

use crate::backend::{KvPair, ScanPair};

/// A scanned value. Compares, hashes and prints as its bytes, whatever it shares.
#[derive(Clone)]
pub struct Value(Repr);

#[derive(Clone)]
enum Repr {
    Owned(Vec<u8>),
    Shared(Arc<[u8]>),
    InBlock(BlockValue),
}

impl Value {
    /// The bytes as a `Vec`: moved out when the value owns them, else copied.
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Owned(bytes) => bytes,
            Repr::Shared(bytes) => bytes.to_vec(),
            Repr::InBlock(bytes) => bytes.to_vec(),
        }
    }

    /// Whether the value shares memory with the storage it was read from (a table's
    /// block, a memtable entry) rather than owning its bytes: keeping a shared value
    /// keeps that memory alive.
    pub fn is_shared(&self) -> bool {
        !matches!(self.0, Repr::Owned(_))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Owned(bytes) => bytes,
            Repr::Shared(bytes) => bytes,
            Repr::InBlock(bytes) => bytes,
        }
    }
}

impl Deref for Value {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Value {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<Vec<u8>> for Value {
    fn from(bytes: Vec<u8>) -> Self {
        Value(Repr::Owned(bytes))
    }
}

impl From<&[u8]> for Value {
    fn from(bytes: &[u8]) -> Self {
        Value(Repr::Owned(bytes.to_vec()))
    }
}

impl From<Arc<[u8]>> for Value {
    fn from(bytes: Arc<[u8]>) -> Self {
        Value(Repr::Shared(bytes))
    }
}

impl From<BlockValue> for Value {
    fn from(bytes: BlockValue) -> Self {
        Value(Repr::InBlock(bytes))
    }
}

impl From<Value> for Vec<u8> {
    fn from(value: Value) -> Self {
        value.into_vec()
    }
}

impl fmt::Debug for Value {
    /// As the bytes' `Debug` (a list of numbers, as a `Vec<u8>` prints), so a failed
    /// comparison reads the same whatever the value shares.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Value {}

impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl PartialEq<[u8]> for Value {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[u8]> for Value {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Vec<u8>> for Value {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<Value> for Vec<u8> {
    fn eq(&self, other: &Value) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Value {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Value {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// A scan's pair with its value as a `Vec`: for code that keeps pairs (and for tests
/// that compare them with owned ones).
pub fn owned_pair((key, value): ScanPair) -> KvPair {
    (key, value.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_value_reads_compares_and_converts_as_its_bytes() {
        let owned = Value::from(b"abc".to_vec());
        let shared = Value::from(Arc::<[u8]>::from(&b"abc"[..]));
        assert_eq!(owned, shared);
        assert_eq!(&*shared, b"abc");
        assert_eq!(shared, b"abc");
        assert_eq!(b"abc".to_vec(), shared);
        assert_eq!(format!("{shared:?}"), format!("{:?}", b"abc".to_vec()));
        assert_ne!(owned, Value::from(&b"abd"[..]));

        let owned_ptr = owned.as_ptr();
        let moved = owned.into_vec();
        assert_eq!(moved.as_ptr(), owned_ptr, "an owned value is moved");
        assert_eq!(shared.clone().into_vec(), b"abc");
    }
}
