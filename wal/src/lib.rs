//! shale-wal (being written).
