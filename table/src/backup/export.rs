//! ExportTableToPointInTime, DescribeExport and ListExports: the table as of a second of
//! its point-in-time recovery window, written as files in DynamoDB's export layout
//! (`docs/pitr-and-backups.md`), so tools that read DynamoDB exports read Shale's:
//!
//! ```text
//! <export root>/<S3Bucket>/<S3Prefix>/AWSDynamoDB/<export id>/
//!     _started                    empty: the export began
//!     data/<name>.json.gz         gzip, one {"Item":{<DynamoDB JSON>}} per line
//!     manifest-files.json         one line per data file: itemCount, md5Checksum, etag,
//!                                 dataFileS3Key
//!     manifest-files.checksum     hex MD5 of manifest-files.json
//!     manifest-summary.json       the export: version, ARNs, times, counts, format
//!     manifest-summary.checksum   hex MD5 of manifest-summary.json
//! ```
//!
//! DynamoDB exports in the background; Shale exports inside the request (its blocking
//! thread), so the answer is already COMPLETED (or FAILED). The work is bounded: data
//! files of at most [`EXPORT_FILE_ITEMS_MAX`] items and [`EXPORT_FILE_BYTES_MAX`] bytes,
//! at most [`EXPORT_FILES_MAX`] of them. The source is a past view
//! (`Backend::view_at`), so writes racing with the export are not in it.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use flate2::write::GzEncoder;
use flate2::Compression;
use md5::{Digest, Md5};
use serde::Serialize;
use shale_engine::{Direction, ReadView};

use crate::backup::pitr::window;
use crate::backup::transfer::{self, Running};
use crate::backup::{iso8601, micros, seconds, table_name_of};
use crate::catalog::{validate_name, TableDef};
use crate::core::Core;
use crate::database::Database;
use crate::error::{BackupValidation, Error};
use crate::export_records::{self as records, ExportRecord, FailureRecord, JobStatus};
use crate::exprs::{self, Compiled, ExprInputs};
use crate::keys::{id_prefix, prefix_bounds};
use crate::pitr_retention::pitr_record;
use crate::shapes::{
    DescribeExportInput, DescribeExportOutput, ExportDescription, ExportFormat, ExportStatus,
    ExportSummary, ExportTableToPointInTimeInput, ExportTableToPointInTimeOutput, ExportType,
    FilterSpecification, ListExportsInput, ListExportsOutput, S3SseAlgorithm, TableStatus,
};
use crate::stored::decode_stored;
use crate::types::{item_size_bytes, Item};

/// Most items in one data file.
pub const EXPORT_FILE_ITEMS_MAX: usize = 10_000;
/// Most uncompressed bytes in one data file (a file closes at the first item past it).
pub const EXPORT_FILE_BYTES_MAX: usize = 64 << 20;
/// Most data files in one export (10⁹ items at the item bound).
pub const EXPORT_FILES_MAX: usize = 100_000;
/// `manifest-summary.json`'s `version`, as DynamoDB writes it.
const MANIFEST_VERSION: &str = "2020-06-30";
/// The FailureCode of an export that could not write its files.
const WRITE_FAILED_CODE: &str = "LocalFileError";

impl Database {
    /// ExportTableToPointInTime: the table as of `ExportTime` (default: now), written to
    /// `<export root>/<S3Bucket>/<S3Prefix>/AWSDynamoDB/<id>/` in DynamoDB's layout. Runs
    /// inside the call; the answer is COMPLETED, or FAILED when the files could not be
    /// written (the FailureMessage says which).
    ///
    /// # Errors
    /// ValidationException (bucket, prefix, request shape, no export directory),
    /// NotImplemented (ION, incremental exports), TableNotFoundException,
    /// PointInTimeRecoveryUnavailableException, InvalidExportTimeException, storage
    /// failure.
    pub fn export_table_to_point_in_time(
        &self,
        input: ExportTableToPointInTimeInput,
    ) -> Result<ExportTableToPointInTimeOutput, Error> {
        let core = &self.core;
        let request = validate(core, &input)?;
        let (def, t) = source_at(core, &request.table, input.export_time)?;
        let selection = Selection::of(&def, input.filter_specification.as_ref())?;
        let view = core
            .backend
            .view_at(t, prefix_bounds(&id_prefix(def.id)).into())
            .map_err(|_| Error::InvalidExportTime {
                export_time: iso8601(t),
            })?;
        let start = core.opts.clock.now_micros();
        let mut record = ExportRecord {
            id: records::new_id(start),
            table_name: def.name.clone(),
            table_uuid: def.uuid.clone(),
            export_time_micros: t,
            start_micros: start,
            end_micros: None,
            client_token: input.client_token,
            bucket: input.s3_bucket,
            bucket_owner: input.s3_bucket_owner,
            prefix: input.s3_prefix,
            sse_algorithm: input.s3_sse_algorithm.map(|a| sse_name(a).to_owned()),
            sse_kms_key_id: input.s3_sse_kms_key_id,
            format: "dynamodb_json".to_owned(),
            export_type: "full".to_owned(),
            status: JobStatus::InProgress,
            item_count: 0,
            billed_size_bytes: 0,
            failure: None,
            filter: input
                .filter_specification
                .as_ref()
                .map(|f| serde_json::to_string(f).unwrap_or_default()),
        };
        let _running = Running::start('E', &record.id);
        let key = records::export_key(&record.id);
        core.backend.put(&key, &records::encode(&record))?;
        let layout = Layout::new(&request.dir, &request.prefix_key, &record.id);
        let outcome = write_export(core, view.as_ref(), &def, &selection, &mut record, &layout);
        record.end_micros = Some(core.opts.clock.now_micros().max(start));
        match outcome {
            Ok(()) => record.status = JobStatus::Completed,
            Err(Failure::Io { path, source }) => {
                record.status = JobStatus::Failed;
                record.failure = Some(FailureRecord {
                    code: WRITE_FAILED_CODE.to_owned(),
                    message: format!("cannot write {}: {source}", path.display()),
                });
            }
            Err(Failure::Table(e)) => {
                record.status = JobStatus::Failed;
                record.failure = Some(FailureRecord {
                    code: "InternalError".to_owned(),
                    message: e.to_string(),
                });
                // Best effort: the caller learns of the failure from the error itself.
                let _ = core.backend.put(&key, &records::encode(&record));
                return Err(e);
            }
        }
        core.backend.put(&key, &records::encode(&record))?;
        Ok(ExportTableToPointInTimeOutput {
            export_description: describe(core, &record),
        })
    }

    /// DescribeExport.
    ///
    /// # Errors
    /// ValidationException for a malformed ARN, ExportNotFoundException, storage failure.
    pub fn describe_export(
        &self,
        input: DescribeExportInput,
    ) -> Result<DescribeExportOutput, Error> {
        let core = &self.core;
        let (table, id) =
            transfer::parse_job_arn(&input.export_arn, "export").ok_or_else(|| {
                BackupValidation::InvalidExportArn {
                    arn: input.export_arn.clone(),
                }
            })?;
        let key = records::export_key(&id);
        let record = core
            .backend
            .get(&key, None)?
            .map(|v| records::decode::<ExportRecord>(&key, &v))
            .transpose()?
            .filter(|r| r.table_name == table)
            .ok_or(Error::ExportNotFound {
                export_arn: input.export_arn,
            })?;
        Ok(DescribeExportOutput {
            export_description: describe(core, &record),
        })
    }

    /// ListExports: oldest first, optionally of one table, in pages of up to 25.
    ///
    /// # Errors
    /// ValidationException (MaxResults, NextToken, TableArn), storage failure.
    pub fn list_exports(&self, input: ListExportsInput) -> Result<ListExportsOutput, Error> {
        let core = &self.core;
        let limit = transfer::page_size("maxResults", input.max_results)?;
        let table = input.table_arn.as_deref().map(table_name_of).transpose()?;
        let (mut start, end) = prefix_bounds(&records::export_prefix());
        if let Some(after) = transfer::resume_after(input.next_token.as_deref())? {
            start = Bound::Excluded(records::export_key(after));
        }
        let mut out = ListExportsOutput::default();
        for kv in core.backend.scan(start, end, Direction::Forward, None)? {
            let (k, v) = kv?;
            let r = records::decode::<ExportRecord>(&k, &v)?;
            if table.as_ref().is_some_and(|t| *t != r.table_name) {
                continue;
            }
            if out.export_summaries.len() == limit {
                out.next_token = last_id(&out.export_summaries);
                break;
            }
            let d = describe(core, &r);
            out.export_summaries.push(ExportSummary {
                export_arn: d.export_arn,
                export_status: d.export_status,
                export_type: d.export_type,
            });
        }
        Ok(out)
    }
}

/// A validated request.
struct Request {
    /// The source table's name.
    table: String,
    /// `<root>/<bucket>/<prefix segments>`.
    dir: PathBuf,
    /// The prefix as it starts every S3 key (`a/b/`, or empty).
    prefix_key: String,
}

fn validate(core: &Core, input: &ExportTableToPointInTimeInput) -> Result<Request, Error> {
    let table = table_name_of(&input.table_arn)?;
    validate_name("tableArn", &table)?;
    if input.export_format == Some(ExportFormat::Ion) {
        return Err(Error::NotImplemented {
            operation: "ExportTableToPointInTime with ExportFormat ION",
        });
    }
    if input.export_type == Some(ExportType::IncrementalExport)
        || input.incremental_export_specification.is_some()
    {
        return Err(Error::NotImplemented {
            operation: "incremental exports (ExportType INCREMENTAL_EXPORT)",
        });
    }
    let root = transfer::root(core, "ExportTableToPointInTime")?;
    let bucket = transfer::bucket_dir(&root, "s3Bucket", &input.s3_bucket)?;
    let segments = transfer::prefix_segments("s3Prefix", input.s3_prefix.as_deref().unwrap_or(""))?;
    let prefix_key = segments.iter().map(|s| format!("{s}/")).collect();
    Ok(Request {
        table,
        dir: transfer::join(&bucket, &segments),
        prefix_key,
    })
}

/// The live source table and the export time, checked in DynamoDB's order: table, PITR
/// on, time inside the window.
fn source_at(core: &Core, name: &str, wanted: Option<f64>) -> Result<(Arc<TableDef>, u64), Error> {
    let def = core
        .catalog
        .read()
        .tables
        .get(name)
        .filter(|d| d.status != TableStatus::Creating)
        .cloned()
        .ok_or_else(|| Error::TableNotFound {
            table_name: name.to_owned(),
        })?;
    let record = pitr_record(core.backend.as_ref(), name)?
        .filter(|r| r.table_id == def.id && r.deleted_micros.is_none())
        .ok_or_else(|| Error::PointInTimeRecoveryUnavailable {
            table_name: name.to_owned(),
        })?;
    let (earliest, latest) = window(core, &record)?;
    let t = wanted.map_or(latest, micros);
    if t < earliest || t > latest {
        return Err(Error::InvalidExportTime {
            export_time: iso8601(t),
        });
    }
    Ok((def, t))
}

/// Where an export's files go, as paths and as S3 keys.
struct Layout {
    /// `<dir>/AWSDynamoDB/<id>`.
    dir: PathBuf,
    /// `<prefix>AWSDynamoDB/<id>/`: what every key starts with.
    key_base: String,
}

impl Layout {
    fn new(prefix_dir: &Path, prefix_key: &str, id: &str) -> Layout {
        Layout {
            dir: prefix_dir.join("AWSDynamoDB").join(id),
            key_base: format!("{prefix_key}AWSDynamoDB/{id}/"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.key_base)
    }
}

/// Why the files could not be written.
enum Failure {
    /// A file-system error (FAILED, described by its FailureMessage).
    Io { path: PathBuf, source: io::Error },
    /// Reading the source failed (an error of the call).
    Table(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Table(e)
    }
}

impl From<shale_engine::StorageError> for Failure {
    fn from(e: shale_engine::StorageError) -> Self {
        Failure::Table(e.into())
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> Failure + '_ {
    move |source| Failure::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One line of `manifest-files.json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestFile {
    item_count: u64,
    md5_checksum: String,
    etag: String,
    #[serde(rename = "dataFileS3Key")]
    data_file_s3_key: String,
}

/// `manifest-summary.json`, fields in DynamoDB's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestSummary<'a> {
    version: &'a str,
    export_arn: String,
    start_time: String,
    end_time: String,
    table_arn: String,
    table_id: &'a str,
    export_time: String,
    s3_bucket: &'a str,
    s3_prefix: Option<&'a str>,
    s3_sse_algorithm: Option<&'a str>,
    s3_sse_kms_key_id: Option<&'a str>,
    #[serde(rename = "manifestFilesS3Key")]
    manifest_files_s3_key: String,
    billed_size_bytes: u64,
    item_count: u64,
    output_format: &'a str,
    export_type: &'a str,
}

/// Which of the table's items an export writes, and how much of each: a request's
/// FilterSpecification compiled as a Query's expressions are (its key condition on the
/// table's primary key, then a filter that may read only non-key attributes, and a
/// projection), or the whole table.
struct Selection {
    /// The entries read: the table's, or the key condition's range of them.
    range: crate::keys::KeyRange,
    compiled: Compiled,
}

impl Selection {
    /// # Errors
    /// ValidationException for expressions a Query would refuse (syntax, placeholders,
    /// a key condition that does not fit the table's key, a filter on a key attribute
    /// beside a key condition).
    fn of(def: &TableDef, spec: Option<&FilterSpecification>) -> Result<Selection, Error> {
        let whole = prefix_bounds(&id_prefix(def.id));
        let Some(spec) = spec else {
            return Ok(Selection {
                range: whole,
                compiled: Compiled::default(),
            });
        };
        let compiled = exprs::compile(ExprInputs {
            key_condition: spec
                .key_condition_expression
                .as_deref()
                .map(|k| (k, &def.key)),
            filter: spec.filter_expression.as_deref(),
            projection: spec.projection_expression.as_deref(),
            names: spec.expression_attribute_names.as_ref(),
            values: spec.expression_attribute_values.as_ref(),
            ..ExprInputs::default()
        })?;
        let range = match spec.key_condition_expression {
            Some(_) => crate::read::table_key_range(def, &compiled.key_condition()?)?,
            None => whole,
        };
        Ok(Selection { range, compiled })
    }
}

/// Writes the data files and manifests; fills in `record`'s counts.
fn write_export(
    core: &Core,
    view: &dyn ReadView,
    def: &TableDef,
    selection: &Selection,
    record: &mut ExportRecord,
    layout: &Layout,
) -> Result<(), Failure> {
    let data_dir = layout.path("data");
    std::fs::create_dir_all(&data_dir).map_err(io_at(&data_dir))?;
    write_file(&layout.path("_started"), b"")?;
    let files = write_data(view, selection, record, layout)?;
    let mut manifest = Vec::new();
    for f in &files {
        // Serializing a struct of strings and integers cannot fail.
        serde_json::to_writer(&mut manifest, f)
            .map_err(encode_failed(&layout.path("manifest-files.json")))?;
        manifest.push(b'\n');
    }
    write_with_checksum(layout, "manifest-files", &manifest)?;
    let end = core.opts.clock.now_micros().max(record.start_micros);
    let summary = ManifestSummary {
        version: MANIFEST_VERSION,
        export_arn: transfer::job_arn(core, &def.name, "export", &record.id),
        start_time: iso8601_millis(record.start_micros),
        end_time: iso8601_millis(end),
        table_arn: transfer::table_arn(core, &def.name),
        table_id: &def.uuid,
        export_time: iso8601_millis(record.export_time_micros),
        s3_bucket: &record.bucket,
        s3_prefix: record.prefix.as_deref(),
        s3_sse_algorithm: record.sse_algorithm.as_deref(),
        s3_sse_kms_key_id: record.sse_kms_key_id.as_deref(),
        manifest_files_s3_key: layout.key("manifest-files.json"),
        billed_size_bytes: record.billed_size_bytes,
        item_count: record.item_count,
        output_format: "DYNAMODB_JSON",
        export_type: "FULL_EXPORT",
    };
    let summary = serde_json::to_vec(&summary)
        .map_err(encode_failed(&layout.path("manifest-summary.json")))?;
    write_with_checksum(layout, "manifest-summary", &summary)
}

/// Encoding a manifest or an item line (strings, numbers and validated items) does not
/// fail; if it ever did, the export fails as a write of `path` would.
fn encode_failed(path: &Path) -> impl FnOnce(serde_json::Error) -> Failure + '_ {
    move |e| Failure::Io {
        path: path.to_path_buf(),
        source: io::Error::other(e),
    }
}

/// The data files: the selected items in key order (projected), at most
/// [`EXPORT_FILE_ITEMS_MAX`] items and about [`EXPORT_FILE_BYTES_MAX`] bytes each; at
/// least one (possibly empty, as DynamoDB writes one per empty partition). The billed
/// size counts every item read, kept or not.
fn write_data(
    view: &dyn ReadView,
    selection: &Selection,
    record: &mut ExportRecord,
    layout: &Layout,
) -> Result<Vec<ManifestFile>, Failure> {
    let (start, end) = selection.range.clone();
    let mut files = Vec::new();
    let mut part: Option<DataFile> = None;
    let mut line = Vec::new();
    for kv in view.scan(start, end, Direction::Forward)? {
        let (k, v) = kv?;
        let item = decode_stored(&k, &v)?;
        record.billed_size_bytes += item_size_bytes(&item) as u64;
        if !selection.compiled.filter_holds(&item)? {
            continue;
        }
        let item = selection.compiled.project_owned(item);
        line.clear();
        serde_json::to_writer(&mut line, &Line { item: &item })
            .map_err(encode_failed(&layout.dir))?;
        line.push(b'\n');
        let file = match &mut part {
            Some(f) => f,
            None => {
                if files.len() == EXPORT_FILES_MAX {
                    return Err(Failure::Table(Error::LimitExceeded {
                        what: "data files per export",
                        limit: EXPORT_FILES_MAX as u64,
                    }));
                }
                part.insert(DataFile::create(layout, &record.id, files.len())?)
            }
        };
        file.append(&line)?;
        record.item_count += 1;
        if file.items == EXPORT_FILE_ITEMS_MAX || file.raw_bytes >= EXPORT_FILE_BYTES_MAX {
            if let Some(done) = part.take() {
                files.push(done.finish()?);
            }
        }
    }
    match part {
        Some(f) => files.push(f.finish()?),
        None if files.is_empty() => files.push(DataFile::create(layout, &record.id, 0)?.finish()?),
        None => {}
    }
    debug_assert_eq!(
        files.iter().map(|f| f.item_count).sum::<u64>(),
        record.item_count
    );
    Ok(files)
}

/// One line of a data file.
#[derive(Serialize)]
struct Line<'a> {
    #[serde(rename = "Item")]
    item: &'a Item,
}

/// A data file being written: gzip over an MD5 of the compressed bytes.
struct DataFile {
    path: PathBuf,
    key: String,
    gz: GzEncoder<Md5Writer<BufWriter<File>>>,
    items: usize,
    raw_bytes: usize,
}

impl DataFile {
    fn create(layout: &Layout, export_id: &str, index: usize) -> Result<DataFile, Failure> {
        let name = format!("data/{}.json.gz", data_file_name(export_id, index));
        let path = layout.path(&name);
        let file = File::create(&path).map_err(io_at(&path))?;
        Ok(DataFile {
            key: layout.key(&name),
            gz: GzEncoder::new(
                Md5Writer {
                    inner: BufWriter::new(file),
                    md5: Md5::new(),
                },
                Compression::default(),
            ),
            path,
            items: 0,
            raw_bytes: 0,
        })
    }

    fn append(&mut self, line: &[u8]) -> Result<(), Failure> {
        self.gz.write_all(line).map_err(io_at(&self.path))?;
        self.items += 1;
        self.raw_bytes += line.len();
        Ok(())
    }

    /// Closes the file (synced) and returns its manifest line: `md5Checksum` is the
    /// base64 MD5 of the file, `etag` the S3 ETag of a one-part upload of it
    /// (`hex(md5(md5(file)))-1`), as DynamoDB's manifests have them.
    fn finish(self) -> Result<ManifestFile, Failure> {
        let path = self.path;
        let at = io_at(&path);
        let mut hashed = self.gz.finish().map_err(at)?;
        hashed.inner.flush().map_err(io_at(&path))?;
        let file = hashed.inner.into_inner().map_err(|e| Failure::Io {
            path: path.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io_at(&path))?;
        let md5 = hashed.md5.finalize();
        let etag = format!("{}-1", crate::hex::encode(&Md5::digest(md5)));
        Ok(ManifestFile {
            item_count: self.items as u64,
            md5_checksum: BASE64.encode(md5),
            etag,
            data_file_s3_key: self.key,
        })
    }
}

/// A writer that hashes what passes through it.
struct Md5Writer<W> {
    inner: W,
    md5: Md5,
}

impl<W: Write> Write for Md5Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.md5.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// 26 lowercase base-32 characters (the look of DynamoDB's data file names), unique per
/// export and file.
fn data_file_name(export_id: &str, index: usize) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut seed = export_id.as_bytes().to_vec();
    seed.extend_from_slice(&(index as u64).to_le_bytes());
    let mut bits = xxhash_rust::xxh3::xxh3_128(&seed);
    (0..26)
        .map(|_| {
            let c = ALPHABET[(bits & 31) as usize] as char;
            bits >>= 5;
            c
        })
        .collect()
}

/// Writes `<name>.json` and `<name>.checksum` (its hex MD5), synced.
fn write_with_checksum(layout: &Layout, name: &str, bytes: &[u8]) -> Result<(), Failure> {
    write_file(&layout.path(&format!("{name}.json")), bytes)?;
    write_file(
        &layout.path(&format!("{name}.checksum")),
        crate::hex::encode(&Md5::digest(bytes)).as_bytes(),
    )
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut f = File::create(path).map_err(io_at(path))?;
    f.write_all(bytes).map_err(io_at(path))?;
    f.sync_all().map_err(io_at(path))
}

/// ISO 8601 in UTC to the millisecond, as the manifests have times.
fn iso8601_millis(micros: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_micros(micros)).to_string()
}

fn sse_name(a: S3SseAlgorithm) -> &'static str {
    match a {
        S3SseAlgorithm::Aes256 => "AES256",
        S3SseAlgorithm::Kms => "KMS",
    }
}

fn last_id(summaries: &[ExportSummary]) -> Option<String> {
    summaries
        .last()
        .and_then(|s| s.export_arn.rsplit('/').next())
        .map(str::to_owned)
}

fn describe(core: &Core, r: &ExportRecord) -> ExportDescription {
    let (status, failure) = transfer::effective_status('E', &r.id, r.status, &r.failure);
    let completed = status == JobStatus::Completed;
    let prefix_key: String = r
        .prefix
        .as_deref()
        .map(|p| p.strip_suffix('/').unwrap_or(p))
        .filter(|p| !p.is_empty())
        .map_or_else(String::new, |p| format!("{p}/"));
    ExportDescription {
        export_arn: transfer::job_arn(core, &r.table_name, "export", &r.id),
        export_status: match status {
            JobStatus::InProgress => ExportStatus::InProgress,
            JobStatus::Completed => ExportStatus::Completed,
            JobStatus::Failed => ExportStatus::Failed,
        },
        start_time: seconds(r.start_micros),
        end_time: r.end_micros.map(seconds),
        export_manifest: completed
            .then(|| Layout::new(Path::new(""), &prefix_key, &r.id).key("manifest-summary.json")),
        table_arn: transfer::table_arn(core, &r.table_name),
        table_id: r.table_uuid.clone(),
        export_time: seconds(r.export_time_micros),
        client_token: r.client_token.clone(),
        s3_bucket: r.bucket.clone(),
        s3_bucket_owner: r.bucket_owner.clone(),
        s3_prefix: r.prefix.clone(),
        s3_sse_algorithm: r.sse_algorithm.as_deref().and_then(|a| match a {
            "AES256" => Some(S3SseAlgorithm::Aes256),
            "KMS" => Some(S3SseAlgorithm::Kms),
            _ => None,
        }),
        s3_sse_kms_key_id: r.sse_kms_key_id.clone(),
        failure_code: failure.as_ref().map(|f| f.code.clone()),
        failure_message: failure.map(|f| f.message),
        export_format: ExportFormat::DynamodbJson,
        billed_size_bytes: completed.then_some(r.billed_size_bytes as i64),
        item_count: completed.then_some(r.item_count as i64),
        export_type: ExportType::FullExport,
        filter_specification: r
            .filter
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_file_names_look_like_dynamodbs_and_differ() {
        let a = data_file_name("01700000000000-0000abcd", 0);
        let b = data_file_name("01700000000000-0000abcd", 1);
        assert_eq!(a.len(), 26);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn etag_is_that_of_a_one_part_upload() {
        // DynamoDB's documented example: md5Checksum sQMSpEILNgoQmarvDFonGQ== goes with
        // etag af83d6f217c19b8b0fff8023d8ca4716-1.
        let md5 = BASE64.decode("sQMSpEILNgoQmarvDFonGQ==").unwrap();
        assert_eq!(
            format!("{}-1", crate::hex::encode(&Md5::digest(&md5))),
            "af83d6f217c19b8b0fff8023d8ca4716-1"
        );
    }

    #[test]
    fn manifest_times_have_milliseconds() {
        assert_eq!(
            iso8601_millis(1_604_474_914_028_123),
            "2020-11-04T07:28:34.028Z"
        );
    }
}
