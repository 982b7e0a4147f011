//! `table:shale` and `table:memory`: Shale's DynamoDB table layer through its embedded API.

use std::sync::Arc;

use shale_engine::Backend;

use super::{Durability, Target, TargetError};

/// YCSB over `shale_engine::table::Database`.
pub struct TableTarget {
    _backend: Arc<dyn Backend>,
}

impl TableTarget {
    /// Opens the table layer on `backend` and creates the YCSB table.
    ///
    /// # Errors
    /// [`TargetError::NotImplemented`] while the table layer has not landed.
    pub fn open(backend: Arc<dyn Backend>, durability: Durability) -> Result<Self, TargetError> {
        let _ = (backend, durability);
        Err(TargetError::NotImplemented {
            target: "table:shale".to_string(),
            reason: "shale_engine::table::Database has not landed in this build",
        })
    }
}

impl Target for TableTarget {
    fn insert(&self, _key: &str, _fields: &[Vec<u8>]) -> Result<(), TargetError> {
        Err(not_landed())
    }
    fn read(&self, _key: &str) -> Result<(), TargetError> {
        Err(not_landed())
    }
    fn update(&self, _key: &str, _field: usize, _value: &[u8]) -> Result<(), TargetError> {
        Err(not_landed())
    }
    fn scan(&self, _start: &str, _count: usize) -> Result<usize, TargetError> {
        Err(not_landed())
    }
    fn durability_note(&self) -> String {
        String::new()
    }
}

fn not_landed() -> TargetError {
    TargetError::NotImplemented {
        target: "table:shale".to_string(),
        reason: "shale_engine::table::Database has not landed in this build",
    }
}
