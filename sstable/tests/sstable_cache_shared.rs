//! One block cache shared by several tables: blocks are keyed per table, repeated reads
//! hit, usage stays within the bound, a table without a cache reads from the file, and an
//! iterator told not to fill the cache (a compaction's) uses it without adding to it or
//! counting in its hit rate, and reads of a mapped table skip it (and read nothing ahead)
//! unless asked.

mod common;

use std::path::Path;

use common::{entries, open_table, walk_forward, walk_iter, write_table};
use shale_io::{FaultFs, FileSystem, MmapFs, StdFs};
use shale_sstable::{BlockCache, TableOptions};

#[test]
fn tables_share_one_bounded_cache() {
    let fs = FaultFs::new();
    let cache = BlockCache::new(2 << 20);
    let mut tables = Vec::new();
    let mut contents = Vec::new();
    for id in 0..3u64 {
        let path = format!("/db/{id:06}.sst");
        // Same keys in every table, different values: a cache keyed by offset alone
        // would hand one table's block to another.
        let mut es = entries(1, 2000, 60);
        for e in &mut es {
            e.3.push(id as u8);
        }
        write_table(&fs, Path::new(&path), &es, TableOptions::default());
        tables.push(open_table(&fs, Path::new(&path), id, Some(cache.clone())).unwrap());
        contents.push(es);
    }
    for _ in 0..2 {
        for (t, es) in tables.iter().zip(&contents) {
            assert_eq!(&walk_forward(t).unwrap(), es);
        }
    }
    let st = cache.stats();
    assert!(st.used_bytes <= st.capacity_bytes, "{st:?}");
    assert!(st.hits > 0 && st.misses > 0, "{st:?}");
    let reads: u64 = tables.iter().map(|t| t.stats().block_reads).sum();
    assert_eq!(reads, st.misses, "every miss is one file read");
}

#[test]
fn a_small_cache_evicts_and_still_serves_correct_blocks() {
    let fs = FaultFs::new();
    let path = Path::new("/db/small.sst");
    let es = entries(3, 3000, 80);
    write_table(&fs, path, &es, TableOptions::default());
    let cache = BlockCache::new(64 * 1024);
    let t = open_table(&fs, path, 9, Some(cache.clone())).unwrap();
    for _ in 0..3 {
        assert_eq!(walk_forward(&t).unwrap(), es);
        let st = cache.stats();
        assert!(st.used_bytes <= st.capacity_bytes);
    }
    assert!(cache.stats().evictions > 0);
    let uncached = open_table(&fs, path, 10, None).unwrap();
    assert_eq!(walk_forward(&uncached).unwrap(), es);
    assert_eq!(uncached.stats().cache_hits, 0);
    assert_eq!(uncached.stats().block_reads, t.meta().data_blocks);
}

#[test]
fn concurrent_readers_share_a_table_and_its_cache() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<shale_sstable::Table>();
    assert_send_sync::<BlockCache>();
    fn assert_send<T: Send>() {}
    assert_send::<shale_sstable::TableIter>();

    let fs = FaultFs::new();
    let path = Path::new("/db/shared.sst");
    let es = entries(8, 4000, 50);
    write_table(&fs, path, &es, TableOptions::default());
    // Small enough that threads evict each other's blocks while reading them.
    let cache = BlockCache::new(128 * 1024);
    let t = open_table(&fs, path, 1, Some(cache.clone())).unwrap();
    let es = std::sync::Arc::new(es);
    let handles: Vec<_> = (0..4u64)
        .map(|seed| {
            let (t, es) = (t.clone(), es.clone());
            std::thread::spawn(move || {
                let mut rng = common::Rng(seed);
                for _ in 0..3000 {
                    let e = &es[rng.below(es.len() as u64) as usize];
                    assert_eq!(t.get(&e.0, e.1).unwrap(), Some((e.1, e.2, e.3.clone())));
                }
                assert_eq!(walk_forward(&t).unwrap(), *es);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let st = cache.stats();
    assert!(st.used_bytes <= st.capacity_bytes, "{st:?}");
}

#[test]
fn an_iterator_that_does_not_fill_the_cache_reads_through_it_without_adding() {
    let fs = FaultFs::new();
    let path = Path::new("/db/nofill.sst");
    let es = entries(5, 2000, 60);
    write_table(&fs, path, &es, TableOptions::default());
    let cache = BlockCache::new(4 << 20);
    let t = open_table(&fs, path, 3, Some(cache.clone())).unwrap();
    let walk = |fill: bool| {
        let mut it = t.iter();
        it.set_fill_cache(fill);
        walk_iter(it).unwrap()
    };
    let blocks = t.meta().data_blocks;
    assert_eq!(walk(false), es);
    let st = cache.stats();
    assert_eq!((st.inserts, st.used_bytes), (0, 0), "nothing was cached");
    assert_eq!(t.stats().block_reads, blocks);
    // A filling walk caches every block; a non-filling one after it hits them all.
    assert_eq!(walk(true), es);
    assert_eq!(cache.stats().inserts, blocks);
    assert_eq!(walk(false), es);
    assert_eq!(
        t.stats().block_reads,
        2 * blocks,
        "the third walk read no block"
    );
    // The table counts the non-filling walk's hits; the cache's own counters count
    // only the filling walk's lookups, the readers it is sized for.
    assert_eq!(t.stats().cache_hits, blocks);
    let st = cache.stats();
    assert_eq!((st.hits, st.misses), (0, blocks));
}

/// Reads of a table read through a memory map, point reads and iterators, neither look
/// in the cache nor add to it (each reads, checks and parses its block from the map)
/// unless the table is told to cache them; reads of a table read with `pread` always use
/// it.
#[test]
fn reads_of_a_mapped_table_skip_the_cache_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("000001.sst");
    let es = entries(6, 2000, 60);
    write_table(&StdFs::new(), &path, &es, TableOptions::default());
    let get_all = |fs: &dyn FileSystem, cached: Option<bool>| {
        let cache = BlockCache::new(4 << 20);
        let file = fs.open(&path, shale_io::OpenMode::Read).unwrap();
        let mut t = shale_sstable::Table::open(file, path.clone(), 1, Some(cache.clone())).unwrap();
        if let Some(on) = cached {
            t = t.cache_mapped_reads(on);
        }
        for _ in 0..2 {
            for e in &es {
                assert_eq!(t.get(&e.0, e.1).unwrap(), Some((e.1, e.2, e.3.clone())));
            }
        }
        (cache.stats(), t.stats(), std::sync::Arc::new(t))
    };
    let lookups = 2 * es.len() as u64;

    let (st, ts, mapped) = get_all(&MmapFs::new(), None);
    assert_eq!((st.hits, st.misses, st.inserts), (0, 0, 0), "{st:?}");
    assert_eq!((ts.block_reads, ts.cache_hits), (lookups, 0));
    // An iterator over the same mapped table skips it too, and reads every block alone:
    // a window ahead saves a system call a map read does not make.
    let blocks = mapped.meta().data_blocks;
    for _ in 0..2 {
        assert_eq!(walk_forward(&mapped).unwrap(), es);
    }
    let ts = mapped.stats();
    assert_eq!(
        (ts.block_reads, ts.cache_hits, ts.readahead_windows),
        (lookups + 2 * blocks, 0, 0),
        "{ts:?}"
    );

    for (fs, cached) in [
        (&MmapFs::new() as &dyn FileSystem, Some(true)),
        (&StdFs::new(), None),
        (&StdFs::new(), Some(false)),
    ] {
        let (st, ts, t) = get_all(fs, cached);
        let blocks = t.meta().data_blocks;
        assert_eq!(st.inserts, blocks, "every block cached once: {st:?}");
        assert_eq!(ts.block_reads, blocks, "{ts:?}");
        assert_eq!(ts.cache_hits, lookups - blocks);
        // An iterator finds every block in the cache.
        assert_eq!(walk_forward(&t).unwrap(), es);
        assert_eq!(t.stats().cache_hits, lookups);
    }
}
