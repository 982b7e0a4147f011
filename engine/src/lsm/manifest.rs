//! The manifest: the durable record of which SSTables make up the tree.
//!
//! `CURRENT` names the live `MANIFEST-<n>`; the manifest is a log of `VersionEdit`s
//! (files added and removed per level, the last LSN flushed to SSTables, the next file
//! number). Opening replays the edits into a [`LevelsState`]. Each open starts a new
//! manifest holding one edit with the whole state, then replaces `CURRENT` atomically
//! (write a temp file, sync it, rename, sync the directory), so the log never grows
//! without bound across restarts. The byte layout is in `docs/format/manifest.md`.
//!
//! Torn tail: an edit is synced before anything depends on it (before WAL segments it
//! covers are released, before its input files are deleted), so a crash can only tear
//! the last record, whose effects nobody relied on. A record that runs past the end of
//! the file is therefore dropped as a torn tail; a complete record with a bad checksum is
//! corruption. The engine cross-checks the result against the WAL on open.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::{File, FileSystem, OpenMode};

use crate::StorageError;

/// "SHALEMAN": first 8 bytes of every manifest.
pub(crate) const MANIFEST_MAGIC: [u8; 8] = *b"SHALEMAN";
/// Manifest format version.
pub(crate) const MANIFEST_VERSION: u32 = 1;
/// Header: magic, version, CRC of the two.
pub(crate) const MANIFEST_HEADER_BYTES: usize = 16;
/// Record header: payload length, CRC.
pub(crate) const RECORD_HEADER_BYTES: usize = 8;
/// Largest edit payload accepted; bounds the allocation a corrupt length could cause.
pub(crate) const MAX_EDIT_BYTES: usize = 64 << 20;
/// Number of levels in the tree (L0..L6).
pub const NUM_LEVELS: usize = 7;
/// Largest user key the manifest accepts in a file's bounds (DynamoDB keys are far smaller).
const MAX_KEY_BYTES: usize = 1 << 20;
/// Name of the pointer file.
pub(crate) const CURRENT_FILE: &str = "CURRENT";
/// The largest sequence number, sequence offset or file number a manifest may hold (2^62:
/// 14,000 years of ten million writes a second). Bounding what is read back keeps every
/// `seq + 1`, `lsn + seq_offset` (the WAL bounds LSNs to 2^63 - 1) and `number + 1` on
/// values from disk free of overflow: a manifest that claims more is corruption.
pub(crate) const MAX_COUNTER: u64 = u64::MAX >> 2;

/// One SSTable's metadata as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// File number: the table is `<number>.sst`.
    pub number: u64,
    /// File size.
    pub size_bytes: u64,
    /// Smallest user key in the table.
    pub smallest: Vec<u8>,
    /// Largest user key in the table.
    pub largest: Vec<u8>,
    /// Lowest sequence number in the table.
    pub min_seq: u64,
    /// Highest sequence number in the table.
    pub max_seq: u64,
}

impl FileMeta {
    /// Whether the table's key range intersects `[smallest, largest]`.
    pub fn overlaps(&self, smallest: &[u8], largest: &[u8]) -> bool {
        self.smallest.as_slice() <= largest && smallest <= self.largest.as_slice()
    }
}

/// A change to the tree, appended to the manifest as one record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VersionEdit {
    /// Every write with a sequence number at or below this is in an SSTable.
    pub(crate) last_flushed_seq: u64,
    /// The next unused file number.
    pub(crate) next_file_number: u64,
    /// Sequence number = WAL LSN + this offset. Zero unless the database was opened from a
    /// checkpoint with a fresh WAL, whose LSNs restart at 1 above existing tables.
    pub(crate) seq_offset: u64,
    /// Files added, with their level.
    pub(crate) added: Vec<(usize, FileMeta)>,
    /// Files removed: (level, number).
    pub(crate) removed: Vec<(usize, u64)>,
}

/// The file lists per level, as replayed from the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelsState {
    /// `levels[0]` newest first; other levels sorted by smallest key, non-overlapping.
    pub levels: Vec<Vec<FileMeta>>,
    /// See [`VersionEdit::last_flushed_seq`].
    pub(crate) last_flushed_seq: u64,
    /// See [`VersionEdit::next_file_number`].
    pub(crate) next_file_number: u64,
    /// See [`VersionEdit::seq_offset`].
    pub(crate) seq_offset: u64,
}

impl Default for LevelsState {
    fn default() -> Self {
        LevelsState {
            levels: vec![Vec::new(); NUM_LEVELS],
            last_flushed_seq: 0,
            next_file_number: 1,
            seq_offset: 0,
        }
    }
}

impl LevelsState {
    /// Applies `edit`, validating it. `file`/`offset` name the record for errors.
    ///
    /// # Errors
    /// [`StorageError::Corruption`] if the edit adds a file twice, removes a missing
    /// file, names a level out of range, or moves a counter backwards.
    pub(crate) fn apply(
        &mut self,
        edit: &VersionEdit,
        file: &Path,
        offset: u64,
    ) -> Result<(), StorageError> {
        let bad = |reason| StorageError::Corruption {
            file: file.to_path_buf(),
            offset,
            reason,
        };
        if edit.last_flushed_seq < self.last_flushed_seq {
            return Err(bad("manifest edit moves the flushed sequence backwards"));
        }
        for (level, number) in &edit.removed {
            let files = self
                .levels
                .get_mut(*level)
                .ok_or(bad("level out of range"))?;
            let pos = files
                .iter()
                .position(|f| f.number == *number)
                .ok_or(bad("manifest edit removes a file that is not live"))?;
            files.remove(pos);
        }
        for (level, meta) in &edit.added {
            if *level >= NUM_LEVELS {
                return Err(bad("level out of range"));
            }
            if self
                .levels
                .iter()
                .flatten()
                .any(|f| f.number == meta.number)
            {
                return Err(bad("manifest edit adds a file twice"));
            }
            if meta.smallest > meta.largest || meta.min_seq > meta.max_seq {
                return Err(bad("file bounds are inverted"));
            }
            let files = &mut self.levels[*level];
            if *level == 0 {
                // Newest first: a flush adds the newest table.
                let pos = files
                    .iter()
                    .position(|f| f.number < meta.number)
                    .unwrap_or(files.len());
                files.insert(pos, meta.clone());
            } else {
                let pos = files.partition_point(|f| f.smallest < meta.smallest);
                files.insert(pos, meta.clone());
            }
        }
        self.last_flushed_seq = edit.last_flushed_seq;
        self.next_file_number = self.next_file_number.max(edit.next_file_number);
        self.seq_offset = edit.seq_offset;
        for files in &self.levels[1..] {
            if files.windows(2).any(|w| w[0].largest >= w[1].smallest) {
                return Err(bad("files of one level overlap"));
            }
        }
        Ok(())
    }

    /// One edit that rebuilds this whole state from empty (the first record of a manifest).
    pub(crate) fn as_full_edit(&self) -> VersionEdit {
        VersionEdit {
            last_flushed_seq: self.last_flushed_seq,
            next_file_number: self.next_file_number,
            seq_offset: self.seq_offset,
            added: self
                .levels
                .iter()
                .enumerate()
                .flat_map(|(l, files)| files.iter().rev().map(move |f| (l, f.clone())))
                .collect(),
            removed: Vec::new(),
        }
    }
}

// ---- edit encoding ----

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// Encodes an edit as a record payload (layout in `docs/format/manifest.md`).
pub(crate) fn encode_edit(edit: &VersionEdit) -> Vec<u8> {
    let mut out = Vec::new();
    put_u64(&mut out, edit.last_flushed_seq);
    put_u64(&mut out, edit.next_file_number);
    put_u64(&mut out, edit.seq_offset);
    out.extend_from_slice(&(edit.added.len() as u32).to_le_bytes());
    for (level, f) in &edit.added {
        out.push(*level as u8);
        put_u64(&mut out, f.number);
        put_u64(&mut out, f.size_bytes);
        put_u64(&mut out, f.min_seq);
        put_u64(&mut out, f.max_seq);
        put_bytes(&mut out, &f.smallest);
        put_bytes(&mut out, &f.largest);
    }
    out.extend_from_slice(&(edit.removed.len() as u32).to_le_bytes());
    for (level, number) in &edit.removed {
        out.push(*level as u8);
        put_u64(&mut out, *number);
    }
    out
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4])))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()? as usize;
        if n > MAX_KEY_BYTES {
            return None;
        }
        self.take(n).map(<[u8]>::to_vec)
    }
}

/// Decodes a record payload. `None` if it is malformed (the caller reports where).
pub(crate) fn decode_edit(payload: &[u8]) -> Option<VersionEdit> {
    let mut r = Reader {
        buf: payload,
        pos: 0,
    };
    let last_flushed_seq = r.u64()?;
    let next_file_number = r.u64()?;
    let seq_offset = r.u64()?;
    if [last_flushed_seq, next_file_number, seq_offset]
        .iter()
        .any(|&c| c > MAX_COUNTER)
    {
        return None;
    }
    let n_added = r.u32()? as usize;
    // Each added file takes at least 41 bytes: bounds the loop by the input size.
    if n_added > payload.len() / 41 {
        return None;
    }
    let mut added = Vec::with_capacity(n_added);
    for _ in 0..n_added {
        let level = usize::from(r.u8()?);
        let number = r.u64()?;
        let size_bytes = r.u64()?;
        let min_seq = r.u64()?;
        let max_seq = r.u64()?;
        if number > MAX_COUNTER || max_seq > MAX_COUNTER {
            return None;
        }
        let smallest = r.bytes()?;
        let largest = r.bytes()?;
        added.push((
            level,
            FileMeta {
                number,
                size_bytes,
                smallest,
                largest,
                min_seq,
                max_seq,
            },
        ));
    }
    let n_removed = r.u32()? as usize;
    if n_removed > payload.len() / 9 {
        return None;
    }
    let mut removed = Vec::with_capacity(n_removed);
    for _ in 0..n_removed {
        let level = usize::from(r.u8()?);
        removed.push((level, r.u64()?));
    }
    if r.pos != payload.len() {
        return None;
    }
    Some(VersionEdit {
        last_flushed_seq,
        next_file_number,
        seq_offset,
        added,
        removed,
    })
}

fn record_crc(len: u32, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len.to_le_bytes());
    h.update(payload);
    h.finalize()
}

fn header_bytes() -> [u8; MANIFEST_HEADER_BYTES] {
    let mut h = [0u8; MANIFEST_HEADER_BYTES];
    h[..8].copy_from_slice(&MANIFEST_MAGIC);
    h[8..12].copy_from_slice(&MANIFEST_VERSION.to_le_bytes());
    let crc = crc32fast::hash(&h[..12]);
    h[12..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// File name of manifest number `n`.
pub(crate) fn manifest_name(n: u64) -> String {
    format!("MANIFEST-{n:06}")
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Io { op, path, source }
}

/// Parses a whole manifest image into the state it describes.
///
/// # Errors
/// [`StorageError::Corruption`] for a bad header, a checksum mismatch on a complete record,
/// an undecodable edit or an inconsistent edit sequence.
pub(crate) fn replay(bytes: &[u8], path: &Path) -> Result<LevelsState, StorageError> {
    let corrupt = |offset: usize, reason| StorageError::Corruption {
        file: path.to_path_buf(),
        offset: offset as u64,
        reason,
    };
    if bytes.len() < MANIFEST_HEADER_BYTES || bytes[..MANIFEST_HEADER_BYTES] != header_bytes() {
        return Err(corrupt(
            0,
            "manifest header is damaged or of an unknown version",
        ));
    }
    let mut state = LevelsState::default();
    let mut offset = MANIFEST_HEADER_BYTES;
    let mut records = 0usize;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        if rest.len() < RECORD_HEADER_BYTES {
            break; // torn tail
        }
        let len = u32::from_le_bytes(rest[..4].try_into().unwrap_or([0; 4]));
        let crc = u32::from_le_bytes(rest[4..8].try_into().unwrap_or([0; 4]));
        if len as usize > MAX_EDIT_BYTES {
            return Err(corrupt(offset, "manifest record longer than the maximum"));
        }
        let end = RECORD_HEADER_BYTES + len as usize;
        if rest.len() < end {
            // A torn append is the last thing in the file. A length that runs past the end
            // with a valid record after it is a damaged length field in the middle.
            if valid_record_after(rest) {
                return Err(corrupt(
                    offset,
                    "manifest record length runs over later edits",
                ));
            }
            break; // torn tail
        }
        let payload = &rest[RECORD_HEADER_BYTES..end];
        if record_crc(len, payload) != crc {
            return Err(corrupt(offset, "manifest record checksum mismatch"));
        }
        let edit =
            decode_edit(payload).ok_or_else(|| corrupt(offset, "undecodable manifest edit"))?;
        state.apply(&edit, path, offset as u64)?;
        offset += end;
        records += 1;
    }
    if records == 0 {
        return Err(corrupt(offset, "manifest holds no complete edit"));
    }
    Ok(state)
}

/// CRC bytes [`valid_record_after`] may hash per byte it searches: bounds the search on a
/// hostile file (running out counts as "found", i.e. corruption: fail safe).
const SEARCH_CRC_BUDGET_FACTOR: usize = 8;

/// Whether a complete record with a valid checksum starts anywhere after the first byte of
/// `rest` (the bytes from a record whose length runs past the end of the file).
fn valid_record_after(rest: &[u8]) -> bool {
    let mut budget = rest.len().saturating_mul(SEARCH_CRC_BUDGET_FACTOR);
    for pos in 1..rest.len().saturating_sub(RECORD_HEADER_BYTES - 1) {
        let at = &rest[pos..];
        let len = u32::from_le_bytes([at[0], at[1], at[2], at[3]]);
        let crc = u32::from_le_bytes([at[4], at[5], at[6], at[7]]);
        let end = RECORD_HEADER_BYTES + len as usize;
        if len == 0 || end > at.len() {
            continue;
        }
        if budget < len as usize {
            return true;
        }
        budget -= len as usize;
        if record_crc(len, &at[RECORD_HEADER_BYTES..end]) == crc {
            return true;
        }
    }
    false
}

/// Reads `CURRENT` and returns the manifest number it names.
///
/// # Errors
/// I/O failure, or [`StorageError::Corruption`] if `CURRENT` is malformed.
pub(crate) fn read_current(fs: &dyn FileSystem, dir: &Path) -> Result<u64, StorageError> {
    let path = dir.join(CURRENT_FILE);
    let bytes = fs
        .open(&path, OpenMode::Read)
        .and_then(|f| f.read_to_vec())
        .map_err(io_err("read", &path))?;
    let text = std::str::from_utf8(&bytes).ok();
    text.and_then(|t| t.strip_suffix('\n'))
        .and_then(|t| t.strip_prefix("MANIFEST-"))
        .filter(|n| !n.is_empty() && n.len() <= 20 && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .ok_or(StorageError::Corruption {
            file: path,
            offset: 0,
            reason: "CURRENT does not name a manifest",
        })
}

/// Loads the state named by `CURRENT`; returns it with the manifest number.
///
/// # Errors
/// As `read_current` and `replay`; a missing manifest is [`StorageError::Io`].
pub fn load(fs: &dyn FileSystem, dir: &Path) -> Result<(LevelsState, u64), StorageError> {
    let number = read_current(fs, dir)?;
    let path = dir.join(manifest_name(number));
    let bytes = fs
        .open(&path, OpenMode::Read)
        .and_then(|f| f.read_to_vec())
        .map_err(io_err("read manifest", &path))?;
    Ok((replay(&bytes, &path)?, number))
}

/// The open manifest log. Not thread-safe by itself: the engine appends under its
/// version-set lock, one edit at a time.
#[derive(Debug)]
pub(crate) struct ManifestWriter {
    file: Arc<dyn File>,
    path: PathBuf,
    number: u64,
    offset: u64,
}

impl ManifestWriter {
    /// Writes `MANIFEST-<number>` holding `state` as one full edit, syncs it, points
    /// `CURRENT` at it atomically, and removes the manifest it replaces (`previous`).
    ///
    /// # Errors
    /// Any I/O failure; the caller must treat it as fatal (poison).
    pub(crate) fn create(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        number: u64,
        state: &LevelsState,
        previous: Option<u64>,
    ) -> Result<Self, StorageError> {
        let path = dir.join(manifest_name(number));
        let file = fs
            .open(&path, OpenMode::CreateTruncate)
            .map_err(io_err("create manifest", &path))?;
        let mut w = ManifestWriter {
            file,
            path,
            number,
            offset: 0,
        };
        w.file
            .write_all_at(&header_bytes(), 0)
            .map_err(io_err("write manifest", &w.path))?;
        w.offset = MANIFEST_HEADER_BYTES as u64;
        w.append(&state.as_full_edit())?;
        install_current(fs.as_ref(), dir, number)?;
        if let Some(old) = previous.filter(|&o| o != number) {
            let old_path = dir.join(manifest_name(old));
            // Best effort: a leftover old manifest is ignored (CURRENT decides).
            if fs.remove_file(&old_path).is_ok() {
                fs.sync_dir(dir).map_err(io_err("sync dir", dir))?;
            }
        }
        Ok(w)
    }

    /// Appends one edit and syncs it.
    ///
    /// # Errors
    /// Any I/O failure; the caller must treat it as fatal (poison).
    pub(crate) fn append(&mut self, edit: &VersionEdit) -> Result<(), StorageError> {
        let payload = encode_edit(edit);
        let len = payload.len() as u32;
        let mut rec = Vec::with_capacity(RECORD_HEADER_BYTES + payload.len());
        rec.extend_from_slice(&len.to_le_bytes());
        rec.extend_from_slice(&record_crc(len, &payload).to_le_bytes());
        rec.extend_from_slice(&payload);
        self.file
            .write_all_at(&rec, self.offset)
            .map_err(io_err("write manifest", &self.path))?;
        self.file
            .sync_data()
            .map_err(io_err("sync manifest", &self.path))?;
        self.offset += rec.len() as u64;
        Ok(())
    }

    /// This manifest's number.
    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    /// Bytes written so far.
    pub(crate) fn size_bytes(&self) -> u64 {
        self.offset
    }
}

/// Points `CURRENT` at manifest `number`: temp file, sync, rename, sync directory.
///
/// # Errors
/// Any I/O failure.
pub(crate) fn install_current(
    fs: &dyn FileSystem,
    dir: &Path,
    number: u64,
) -> Result<(), StorageError> {
    let tmp = dir.join("CURRENT.tmp");
    let cur = dir.join(CURRENT_FILE);
    let f = fs
        .open(&tmp, OpenMode::CreateTruncate)
        .map_err(io_err("create", &tmp))?;
    let text = format!("{}\n", manifest_name(number));
    f.write_all_at(text.as_bytes(), 0)
        .map_err(io_err("write", &tmp))?;
    f.sync_data().map_err(io_err("sync", &tmp))?;
    drop(f);
    fs.rename(&tmp, &cur).map_err(io_err("rename", &cur))?;
    fs.sync_dir(dir).map_err(io_err("sync dir", dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shale_io::FaultFs;

    fn meta(number: u64, a: &str, b: &str) -> FileMeta {
        FileMeta {
            number,
            size_bytes: 100 * number,
            smallest: a.as_bytes().to_vec(),
            largest: b.as_bytes().to_vec(),
            min_seq: number,
            max_seq: number + 10,
        }
    }

    #[test]
    fn edit_roundtrips_and_rejects_garbage() {
        let edit = VersionEdit {
            last_flushed_seq: 42,
            next_file_number: 9,
            seq_offset: 3,
            added: vec![(0, meta(7, "a", "z")), (3, meta(8, "", "\u{ff}"))],
            removed: vec![(1, 3), (2, 4)],
        };
        let bytes = encode_edit(&edit);
        assert_eq!(decode_edit(&bytes), Some(edit));
        for cut in 0..bytes.len() {
            assert_eq!(decode_edit(&bytes[..cut]), None, "truncated at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_edit(&longer), None);
    }

    #[test]
    fn counters_beyond_max_counter_are_malformed() {
        let base = VersionEdit {
            last_flushed_seq: MAX_COUNTER,
            next_file_number: MAX_COUNTER,
            seq_offset: MAX_COUNTER,
            added: vec![(0, meta(7, "a", "z"))],
            removed: vec![],
        };
        assert!(
            decode_edit(&encode_edit(&base)).is_some(),
            "the bound itself"
        );
        let over: [fn(&mut VersionEdit); 5] = [
            |e| e.last_flushed_seq = MAX_COUNTER + 1,
            |e| e.next_file_number = u64::MAX,
            |e| e.seq_offset = MAX_COUNTER + 1,
            |e| e.added[0].1.number = u64::MAX,
            |e| e.added[0].1.max_seq = u64::MAX,
        ];
        for (i, bump) in over.iter().enumerate() {
            let mut e = base.clone();
            bump(&mut e);
            assert_eq!(decode_edit(&encode_edit(&e)), None, "case {i}");
        }
    }

    #[test]
    fn apply_validates_and_orders_levels() {
        let p = Path::new("m");
        let mut s = LevelsState::default();
        let add = |files: Vec<(usize, FileMeta)>, lsn| VersionEdit {
            last_flushed_seq: lsn,
            next_file_number: 20,
            seq_offset: 0,
            added: files,
            removed: vec![],
        };
        s.apply(&add(vec![(0, meta(1, "a", "c"))], 1), p, 0)
            .unwrap();
        s.apply(&add(vec![(0, meta(2, "b", "d"))], 2), p, 0)
            .unwrap();
        assert_eq!(
            s.levels[0].iter().map(|f| f.number).collect::<Vec<_>>(),
            vec![2, 1]
        );
        s.apply(
            &add(vec![(1, meta(4, "m", "n")), (1, meta(3, "a", "c"))], 2),
            p,
            0,
        )
        .unwrap();
        assert_eq!(
            s.levels[1].iter().map(|f| f.number).collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert!(
            s.apply(&add(vec![(1, meta(5, "b", "e"))], 2), p, 0)
                .is_err(),
            "overlap"
        );
        let mut s2 = s.clone();
        assert!(
            s2.apply(&add(vec![(2, meta(3, "x", "y"))], 2), p, 0)
                .is_err(),
            "dup"
        );
        let rm = VersionEdit {
            last_flushed_seq: 2,
            next_file_number: 20,
            seq_offset: 0,
            added: vec![],
            removed: vec![(0, 99)],
        };
        assert!(s.clone().apply(&rm, p, 0).is_err(), "missing file");
        assert!(
            s.clone().apply(&add(vec![], 1), p, 0).is_err(),
            "lsn backwards"
        );
    }

    #[test]
    fn manifest_survives_roundtrip_and_detects_damage() {
        let fs = Arc::new(FaultFs::new());
        let dir = Path::new("/db");
        fs.create_dir_all(dir).unwrap();
        let mut s = LevelsState::default();
        let mut w = ManifestWriter::create(fs.clone(), dir, 1, &s, None).unwrap();
        for i in 1..5u64 {
            let e = VersionEdit {
                last_flushed_seq: i * 10,
                next_file_number: i + 1,
                seq_offset: 0,
                added: vec![(0, meta(i, "a", "b"))],
                removed: vec![],
            };
            s.apply(&e, dir, 0).unwrap();
            w.append(&e).unwrap();
        }
        let (loaded, n) = load(fs.as_ref(), dir).unwrap();
        assert_eq!((loaded.clone(), n), (s.clone(), 1));
        // A new manifest replaces the old one.
        let w2 = ManifestWriter::create(fs.clone(), dir, 2, &loaded, Some(1)).unwrap();
        assert_eq!(load(fs.as_ref(), dir).unwrap(), (s, 2));
        assert!(!fs.exists(&dir.join(manifest_name(1))).unwrap());
        // A torn tail is dropped; a flipped bit in a complete record is corruption.
        let path = dir.join(manifest_name(2));
        let len = fs.file_len(&path).unwrap();
        assert!(w2.size_bytes() == len);
        fs.flip_bit(&path, len - 3, 1).unwrap();
        assert!(matches!(
            load(fs.as_ref(), dir),
            Err(StorageError::Corruption { .. })
        ));
    }

    #[test]
    fn a_torn_last_edit_is_dropped_but_a_damaged_length_in_the_middle_is_corruption() {
        let p = Path::new("m");
        let mut image = header_bytes().to_vec();
        let mut ends = Vec::new();
        for i in 1..4u64 {
            let e = VersionEdit {
                last_flushed_seq: i,
                next_file_number: i + 1,
                seq_offset: 0,
                added: vec![(0, meta(i, "a", "b"))],
                removed: vec![],
            };
            let payload = encode_edit(&e);
            image.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            image.extend_from_slice(&record_crc(payload.len() as u32, &payload).to_le_bytes());
            image.extend_from_slice(&payload);
            ends.push(image.len());
        }
        // Torn third edit: the first two survive.
        let torn = &image[..ends[2] - 5];
        assert_eq!(replay(torn, p).unwrap().last_flushed_seq, 2);
        // The second edit's length grows past the end of the file: later edits exist, so
        // this is damage, not a torn tail.
        let mut bad = image.clone();
        let second = ends[0];
        bad[second + 2] = 0x10; // length += 1 MiB
        assert!(matches!(
            replay(&bad, p),
            Err(StorageError::Corruption { offset, .. }) if offset == second as u64
        ));
    }

    #[test]
    fn current_must_name_a_manifest() {
        let fs = FaultFs::new();
        let dir = Path::new("/db");
        fs.create_dir_all(dir).unwrap();
        let f = fs
            .open(&dir.join(CURRENT_FILE), OpenMode::CreateNew)
            .unwrap();
        f.write_all_at(b"MANIFEST-x1\n", 0).unwrap();
        assert!(matches!(
            read_current(&fs, dir),
            Err(StorageError::Corruption { .. })
        ));
    }
}
