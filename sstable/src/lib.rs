//! shale-sstable (being written).
