//! `shale-admin verify <data-dir>`: [`shale_engine::lsm::verify_dir`] on the real file
//! system, printed one line per file. Offline: no server, nothing opened for writing.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use shale_engine::lsm::{verify_dir, VerifyReport};
use shale_io::{FileSystem, StdFs};
use shale_wal::DropReason;

/// The report's text, and whether anything is damaged.
pub fn run(data_dir: &str) -> (String, bool) {
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs::new());
    let report = verify_dir(&fs, Path::new(data_dir));
    (render(&report), report.is_damaged())
}

/// One line per file, then a summary.
fn render(report: &VerifyReport) -> String {
    let mut out = String::new();
    let mut problems = 0usize;
    let mut notes = 0usize;
    match &report.manifest {
        Ok(number) => {
            let _ = writeln!(out, "ok       MANIFEST-{number:06}");
        }
        Err(e) => {
            problems += 1;
            let _ = writeln!(out, "DAMAGED  manifest: {e}");
        }
    }
    for t in &report.sstables {
        match &t.outcome {
            Ok(()) => {
                let _ = writeln!(
                    out,
                    "ok       sstable {:06} (L{}): {} entries",
                    t.number, t.level, t.entries
                );
            }
            Err(e) => {
                problems += 1;
                let _ = writeln!(out, "DAMAGED  sstable {:06} (L{}): {e}", t.number, t.level);
            }
        }
    }
    for orphan in &report.orphan_sstables {
        notes += 1;
        let _ = writeln!(
            out,
            "note     {}: not in the manifest (left by a crash; removed at the next open)",
            orphan.display()
        );
    }
    if let Some(e) = &report.wal_listing {
        problems += 1;
        let _ = writeln!(out, "DAMAGED  WAL directory: {e}");
    }
    for s in &report.wal {
        let place = if s.archived { "archived" } else { "live" };
        match &s.outcome {
            Ok(dropped) => {
                let _ = writeln!(
                    out,
                    "ok       WAL {place} {}: {} records, {} bytes",
                    s.segment.display(),
                    s.records,
                    s.bytes
                );
                for d in dropped {
                    notes += 1;
                    let what = match &d.reason {
                        DropReason::TornTail(kind) => format!(
                            "torn tail at bytes {}..{} ({kind}): opening cuts it; records from LSN {} were never acknowledged as synced",
                            d.from, d.to, d.first_lost_lsn
                        ),
                        DropReason::UnbornSegment => {
                            "a segment whose creation was cut short: opening removes it".to_owned()
                        }
                        other => format!("{other:?}"),
                    };
                    let _ = writeln!(out, "note       {what}");
                }
            }
            Err(e) => {
                problems += 1;
                let _ = writeln!(out, "DAMAGED  WAL {place} {}: {e}", s.segment.display());
            }
        }
    }
    let _ = writeln!(
        out,
        "{} SSTables, {} WAL segments checked: {problems} damaged, {notes} notes",
        report.sstables.len(),
        report.wal.len()
    );
    out
}
