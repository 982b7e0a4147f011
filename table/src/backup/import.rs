//! ImportTable, DescribeImport and ListImports: a new table filled from files in a
//! directory, in DynamoDB JSON (what an export writes: one `{"Item":{...}}` per line) or
//! CSV, gzipped or not (`docs/pitr-and-backups.md`).
//!
//! The files are every regular file whose key (its `/`-separated path in the bucket
//! directory) starts with `S3KeyPrefix`, as S3 lists objects, less an export's own
//! metadata (`manifest-*.json`, `*.checksum`, `_started`): pointing the prefix at an
//! export's directory imports its data files.
//!
//! The table is created CREATING through the create path, with the import's record in
//! the same batch; the items go through the one write path in chunks of at most 100;
//! the last batch publishes the table ACTIVE and the record COMPLETED. As in DynamoDB, a
//! line that does not parse or does not make a valid item (missing or mistyped key,
//! over 400 KB, ...) is skipped and counted in `ErrorCount`, and so is a file that cannot
//! be read to its end. An import that finds no files fails, and its table is removed.
//! Shale imports inside the request (DynamoDB in the background); everything is bounded:
//! [`MAX_IMPORT_FILES`] files, [`IMPORT_LINE_BYTES_MAX`] bytes a line.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use flate2::bufread::MultiGzDecoder;
use serde::Deserialize;
use shale_engine::{Direction, WriteBatch};

use crate::backup::transfer::{self, Running};
use crate::backup::{seconds, table_name_of};
use crate::catalog::{KeyValues, TableDef};
use crate::catalog_record::TableRecord;
use crate::control;
use crate::core::Core;
use crate::database::Database;
use crate::error::{BackupValidation, Error, InUseReason, ValidationError};
use crate::export_records::{
    self as records, FailureRecord, ImportFormatRecord, ImportRecord, JobStatus,
};
use crate::keys::{entry_key, prefix_bounds};
use crate::shapes::{
    CreateTableInput, CsvOptions, DescribeImportInput, DescribeImportOutput, GlobalSecondaryIndex,
    ImportStatus, ImportSummary, ImportTableDescription, ImportTableInput, ImportTableOutput,
    InputCompressionType, InputFormat, InputFormatOptions, ListImportsInput, ListImportsOutput,
    ProvisionedThroughput, S3BucketSource, ScalarAttributeType, TableCreationParameters,
};
use crate::types::{AttributeValue, Item, Number};
use crate::write::{put_items, validate_new_item, MAX_ITEMS_PER_WRITE};

/// Most files one import reads (DynamoDB's limit on S3 objects per import).
pub const MAX_IMPORT_FILES: usize = 50_000;
/// Longest line (or CSV record) read: a 400 KB item in DynamoDB JSON, with base64
/// binaries and escapes, stays under it. A longer line is skipped and counted.
pub const IMPORT_LINE_BYTES_MAX: usize = 1 << 20;
/// Directory entries examined while listing the files (bounds a walk of a huge tree).
pub const IMPORT_LIST_ENTRIES_MAX: usize = 200_000;
/// Most CSV columns (DynamoDB's HeaderList limit).
pub const CSV_COLUMNS_MAX: usize = 255;

impl Database {
    /// ImportTable: creates the table, reads the files into it, and answers COMPLETED
    /// (with ErrorCount for bad lines), or FAILED when the source has no files (the
    /// table is then removed).
    ///
    /// # Errors
    /// ValidationException (bucket, prefix, options, the table definition, no export
    /// directory), ResourceInUseException when the table exists, NotImplemented (ION,
    /// ZSTD), storage failure.
    pub fn import_table(&self, input: ImportTableInput) -> Result<ImportTableOutput, Error> {
        let core = &self.core;
        let request = validate(core, &input)?;
        let params = &input.table_creation_parameters;
        let create = CreateTableInput {
            table_name: params.table_name.clone(),
            attribute_definitions: params.attribute_definitions.clone(),
            key_schema: params.key_schema.clone(),
            global_secondary_indexes: params.global_secondary_indexes.clone(),
            billing_mode: params.billing_mode,
            provisioned_throughput: params.provisioned_throughput,
            on_demand_throughput: params.on_demand_throughput,
            sse_specification: params.sse_specification.clone(),
            vector_indexes: params.vector_indexes,
            ..CreateTableInput::default()
        };
        control::refuse_unimplemented("ImportTable", create.unimplemented_member())?;
        let start = core.opts.clock.now_micros();
        let id = records::new_id(start);
        let _running = Running::start('I', &id);
        let mut record: Option<ImportRecord> = None;
        let def = control::create_restore_target(core, create, |def, batch| {
            let r = new_record(&id, def, &input, &request, start);
            batch.put(records::import_key(&id), records::encode(&r));
            record = Some(r);
        })
        .map_err(|e| match e {
            Error::TableAlreadyExists { table_name } => Error::ResourceInUse {
                table_name,
                reason: InUseReason::AlreadyExists,
            },
            e => e,
        })?;
        // create_restore_target runs `also` whenever it creates the table.
        debug_assert!(record.is_some());
        let mut record = record.ok_or_else(|| {
            Error::Internal(shale_engine::StorageError::Io {
                op: "import",
                path: PathBuf::new(),
                source: io::Error::other("the import's table was created without its record"),
            })
        })?;
        let outcome = run(core, &def, &request, &mut record);
        record.end_micros = Some(core.opts.clock.now_micros().max(start));
        let key = records::import_key(&id);
        match outcome {
            Ok(()) => {
                record.status = JobStatus::Completed;
                let value = records::encode(&record);
                control::finish_restore(core, &def.name, |batch| {
                    batch.put(key, value);
                })?;
            }
            Err(Failure::Source { code, message }) => {
                record.status = JobStatus::Failed;
                record.failure = Some(FailureRecord {
                    code: code.to_owned(),
                    message,
                });
                abandon(core, &def, &record)?;
            }
            Err(Failure::Table(e)) => {
                record.status = JobStatus::Failed;
                record.failure = Some(FailureRecord {
                    code: "InternalError".to_owned(),
                    message: e.to_string(),
                });
                // Best effort: the caller learns of the failure from the error itself.
                let _ = abandon(core, &def, &record);
                return Err(e);
            }
        }
        Ok(ImportTableOutput {
            import_table_description: describe(core, &record),
        })
    }

    /// DescribeImport.
    ///
    /// # Errors
    /// ValidationException for a malformed ARN, ImportNotFoundException, storage failure.
    pub fn describe_import(
        &self,
        input: DescribeImportInput,
    ) -> Result<DescribeImportOutput, Error> {
        let core = &self.core;
        let (table, id) =
            transfer::parse_job_arn(&input.import_arn, "import").ok_or_else(|| {
                BackupValidation::InvalidImportArn {
                    arn: input.import_arn.clone(),
                }
            })?;
        let key = records::import_key(&id);
        let record = core
            .backend
            .get(&key, None)?
            .map(|v| records::decode::<ImportRecord>(&key, &v))
            .transpose()?
            .filter(|r| r.table.name() == table)
            .ok_or(Error::ImportNotFound {
                import_arn: input.import_arn,
            })?;
        Ok(DescribeImportOutput {
            import_table_description: describe(core, &record),
        })
    }

    /// ListImports: oldest first, optionally into one table, in pages of up to 25.
    ///
    /// # Errors
    /// ValidationException (PageSize, NextToken, TableArn), storage failure.
    pub fn list_imports(&self, input: ListImportsInput) -> Result<ListImportsOutput, Error> {
        let core = &self.core;
        let limit = transfer::page_size("pageSize", input.page_size)?;
        let table = input.table_arn.as_deref().map(table_name_of).transpose()?;
        let (mut start, end) = prefix_bounds(&records::import_prefix());
        if let Some(after) = transfer::resume_after(input.next_token.as_deref())? {
            start = Bound::Excluded(records::import_key(after));
        }
        let mut out = ListImportsOutput::default();
        let mut last_id = None;
        for kv in core.backend.scan(start, end, Direction::Forward, None)? {
            let (k, v) = kv?;
            let r = records::decode::<ImportRecord>(&k, &v)?;
            if table.as_deref().is_some_and(|t| t != r.table.name()) {
                continue;
            }
            if out.import_summary_list.len() == limit {
                out.next_token = last_id;
                break;
            }
            let d = describe(core, &r);
            out.import_summary_list.push(ImportSummary {
                import_arn: d.import_arn,
                import_status: d.import_status,
                table_arn: d.table_arn,
                s3_bucket_source: d.s3_bucket_source,
                input_format: d.input_format,
                start_time: d.start_time,
                end_time: d.end_time,
            });
            last_id = Some(r.id);
        }
        Ok(out)
    }
}

/// A validated request.
struct Request {
    /// The bucket's directory.
    bucket: PathBuf,
    /// The key prefix, checked (`""`: the whole bucket).
    prefix: String,
    format: Format,
    gzip: bool,
}

#[derive(Clone)]
enum Format {
    Json,
    Csv {
        delimiter: u8,
        /// `None`: each file's first record is its header.
        header: Option<Vec<String>>,
    },
}

fn validate(core: &Core, input: &ImportTableInput) -> Result<Request, Error> {
    let source = &input.s3_bucket_source;
    let format = match input.input_format {
        None => {
            return Err(ValidationError::Missing {
                field: "inputFormat",
            }
            .into())
        }
        Some(InputFormat::Ion) => {
            return Err(Error::NotImplemented {
                operation: "ImportTable with InputFormat ION",
            })
        }
        Some(InputFormat::DynamodbJson) => Format::Json,
        Some(InputFormat::Csv) => csv_format(input.input_format_options.as_ref())?,
    };
    let gzip = match input.input_compression_type {
        None | Some(InputCompressionType::None) => false,
        Some(InputCompressionType::Gzip) => true,
        Some(InputCompressionType::Zstd) => {
            return Err(Error::NotImplemented {
                operation: "ImportTable with InputCompressionType ZSTD",
            })
        }
    };
    let root = transfer::root(core, "ImportTable")?;
    let bucket = transfer::bucket_dir(&root, "s3BucketSource.s3Bucket", &source.s3_bucket)?;
    let prefix = source.s3_key_prefix.clone().unwrap_or_default();
    // Checked as a path: the part before the last `/` names directories.
    transfer::prefix_segments("s3BucketSource.s3KeyPrefix", &prefix)?;
    Ok(Request {
        bucket,
        prefix,
        format,
        gzip,
    })
}

fn csv_format(options: Option<&InputFormatOptions>) -> Result<Format, Error> {
    let csv = options.and_then(|o| o.csv.clone()).unwrap_or_default();
    let delimiter = match csv.delimiter.as_deref() {
        None => b',',
        Some(d) if d.len() == 1 && b",;:|\t ".contains(&d.as_bytes()[0]) => d.as_bytes()[0],
        Some(d) => {
            return Err(BackupValidation::CsvDelimiter {
                value: d.to_owned(),
            }
            .into())
        }
    };
    if let Some(h) = &csv.header_list {
        if h.is_empty() || h.len() > CSV_COLUMNS_MAX {
            return Err(ValidationError::ListLength {
                field: "inputFormatOptions.csv.headerList",
                constraint: if h.is_empty() {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 255"
                },
            }
            .into());
        }
    }
    Ok(Format::Csv {
        delimiter,
        header: csv.header_list,
    })
}

fn new_record(
    id: &str,
    def: &TableDef,
    input: &ImportTableInput,
    request: &Request,
    start: u64,
) -> ImportRecord {
    let (format, delimiter, header) = match &request.format {
        Format::Json => (ImportFormatRecord::DynamodbJson, None, None),
        Format::Csv { .. } => {
            let csv = input
                .input_format_options
                .as_ref()
                .and_then(|o| o.csv.clone())
                .unwrap_or_default();
            (ImportFormatRecord::Csv, csv.delimiter, csv.header_list)
        }
    };
    ImportRecord {
        id: id.to_owned(),
        table: TableRecord::from(def),
        client_token: input.client_token.clone(),
        bucket: input.s3_bucket_source.s3_bucket.clone(),
        bucket_owner: input.s3_bucket_source.s3_bucket_owner.clone(),
        key_prefix: input.s3_bucket_source.s3_key_prefix.clone(),
        format,
        csv_delimiter: delimiter,
        csv_header_list: header,
        gzip: request.gzip,
        status: JobStatus::InProgress,
        start_micros: start,
        end_micros: None,
        processed_size_bytes: 0,
        processed_item_count: 0,
        imported_item_count: 0,
        error_count: 0,
        failure: None,
    }
}

/// Why an import stopped.
enum Failure {
    /// The source cannot be imported (FAILED; FailureCode, FailureMessage).
    Source { code: &'static str, message: String },
    /// Writing failed (an error of the call).
    Table(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Table(e)
    }
}

/// Reads every file into the table; fills in `record`'s counts.
fn run(
    core: &Core,
    def: &Arc<TableDef>,
    request: &Request,
    record: &mut ImportRecord,
) -> Result<(), Failure> {
    let files = list_files(&request.bucket, &request.prefix)?;
    if files.is_empty() {
        return Err(Failure::Source {
            code: "NoFilesFound",
            message: format!(
                "no files under the key prefix '{}' of bucket '{}'",
                request.prefix, record.bucket
            ),
        });
    }
    let mut sink = Sink::new(core, def);
    for path in files {
        let read = read_file(&path, request, &mut sink, record);
        sink.flush()?;
        match read {
            Ok(()) => {}
            // An unreadable or truncated file (bad gzip, I/O error) is one error; what
            // was read of it before stays imported.
            Err(ReadError::Io) => record.error_count += 1,
            Err(ReadError::Table(e)) => return Err(Failure::Table(e)),
        }
    }
    sink.flush()?;
    record.imported_item_count = sink.imported;
    record.error_count += sink.errors;
    debug_assert!(record.imported_item_count <= record.processed_item_count);
    Ok(())
}

/// The files to import, by key: those under `prefix` in `bucket`, sorted, without an
/// export's metadata and without following symbolic links.
fn list_files(bucket: &Path, prefix: &str) -> Result<Vec<PathBuf>, Failure> {
    if !bucket.is_dir() {
        return Err(Failure::Source {
            code: "S3NoSuchBucket",
            message: format!(
                "the bucket directory {} does not exist",
                bucket
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            ),
        });
    }
    // Start the walk at the deepest directory the prefix names.
    let (dir_key, _) = prefix.rsplit_once('/').unwrap_or(("", prefix));
    let dir_segments: Vec<&str> = dir_key.split('/').filter(|s| !s.is_empty()).collect();
    let mut stack = vec![(transfer::join(bucket, &dir_segments), dir_key.to_owned())];
    let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut examined = 0usize;
    while let Some((dir, key)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                continue
            }
            Err(e) => return Err(unreadable(&e)),
        };
        for entry in entries {
            examined += 1;
            if examined > IMPORT_LIST_ENTRIES_MAX {
                return Err(too_many("directory entries", IMPORT_LIST_ENTRIES_MAX));
            }
            let entry = entry.map_err(|e| unreadable(&e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if key.is_empty() {
                name.clone()
            } else {
                format!("{key}/{name}")
            };
            // Not followed: a link could lead out of the bucket.
            let ty = entry.file_type().map_err(|e| unreadable(&e))?;
            if ty.is_dir()
                && (child.starts_with(prefix) || prefix.starts_with(&format!("{child}/")))
            {
                stack.push((entry.path(), child));
            } else if ty.is_file() && child.starts_with(prefix) && !is_export_metadata(&name) {
                if found.len() == MAX_IMPORT_FILES {
                    return Err(too_many("files", MAX_IMPORT_FILES));
                }
                found.insert(child, entry.path());
            }
        }
    }
    Ok(found.into_values().collect())
}

fn is_export_metadata(name: &str) -> bool {
    name == "_started"
        || name == "manifest-summary.json"
        || name == "manifest-files.json"
        || name.ends_with(".checksum")
}

fn unreadable(e: &io::Error) -> Failure {
    Failure::Source {
        code: "S3AccessDenied",
        message: format!("cannot list the source files: {e}"),
    }
}

fn too_many(what: &str, limit: usize) -> Failure {
    Failure::Source {
        code: "TooManyFiles",
        message: format!("the source has more than {limit} {what}"),
    }
}

/// Why a file stopped being read.
enum ReadError {
    /// The file (counted as one error; DynamoDB describes such errors in CloudWatch
    /// logs, which Shale does not have, so the error itself is not kept).
    Io,
    /// Writing its items.
    Table(Error),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

impl From<Error> for ReadError {
    fn from(e: Error) -> Self {
        ReadError::Table(e)
    }
}

fn read_file(
    path: &Path,
    request: &Request,
    sink: &mut Sink<'_>,
    record: &mut ImportRecord,
) -> Result<(), ReadError> {
    let file = File::open(path)?;
    record.processed_size_bytes += file.metadata()?.len();
    let buffered = BufReader::new(file);
    let mut reader: Box<dyn BufRead> = if request.gzip {
        Box::new(BufReader::new(MultiGzDecoder::new(buffered)))
    } else {
        Box::new(buffered)
    };
    match &request.format {
        Format::Json => read_json_lines(&mut reader, sink, record),
        Format::Csv { delimiter, header } => {
            read_csv(&mut reader, *delimiter, header.as_deref(), sink, record)
        }
    }
}

/// A line of a DynamoDB JSON file.
#[derive(Deserialize)]
struct JsonLine {
    #[serde(rename = "Item")]
    item: Item,
}

fn read_json_lines(
    reader: &mut dyn BufRead,
    sink: &mut Sink<'_>,
    record: &mut ImportRecord,
) -> Result<(), ReadError> {
    let mut buf = Vec::new();
    while let Some(fits) = next_line(reader, &mut buf, IMPORT_LINE_BYTES_MAX)? {
        if fits && buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        record.processed_item_count += 1;
        match fits.then(|| serde_json::from_slice::<JsonLine>(&buf)) {
            Some(Ok(line)) => sink.add(line.item)?,
            _ => sink.errors += 1,
        }
    }
    Ok(())
}

/// Reads the next line into `buf` without its `\n` (or `\r\n`). `None` at the end;
/// `Some(false)` for a line over `max` bytes, whose rest is skipped (so memory stays
/// bounded whatever the input).
fn next_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Option<bool>> {
    buf.clear();
    let n = Read::take(&mut *reader, max as u64 + 1).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        return Ok(Some(buf.len() <= max));
    }
    if buf.len() <= max {
        return Ok(Some(true)); // the last line, without a newline
    }
    // Too long: skip to the end of the line, a buffer at a time.
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                break;
            }
            None => {
                let len = available.len();
                reader.consume(len);
            }
        }
    }
    Ok(Some(false))
}

fn read_csv(
    reader: &mut dyn BufRead,
    delimiter: u8,
    header_list: Option<&[String]>,
    sink: &mut Sink<'_>,
    record: &mut ImportRecord,
) -> Result<(), ReadError> {
    let mut header: Option<Vec<String>> = header_list.map(<[String]>::to_vec);
    let mut first = true;
    let mut buf = Vec::new();
    while let Some(fits) = next_csv_record(reader, &mut buf)? {
        if first {
            // A UTF-8 byte-order mark is not part of the first column's name.
            if buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
            first = false;
        }
        if fits && buf.is_empty() {
            continue;
        }
        let fields = if fits {
            parse_csv(&buf, delimiter)
        } else {
            None
        };
        let Some(columns) = header.as_ref() else {
            // The file's first record is its header.
            match fields {
                Some(f) if !f.is_empty() && f.len() <= CSV_COLUMNS_MAX => header = Some(f),
                _ => return Err(ReadError::Io),
            }
            continue;
        };
        record.processed_item_count += 1;
        match fields.filter(|f| f.len() == columns.len()) {
            Some(f) => match sink.csv_item(columns, f) {
                Some(item) => sink.add(item)?,
                None => sink.errors += 1,
            },
            None => sink.errors += 1,
        }
    }
    Ok(())
}

/// Reads one CSV record into `buf`: a line, plus the following lines while a quoted
/// field is open (an odd number of `"` so far). `Some(false)` when it is over
/// [`IMPORT_LINE_BYTES_MAX`] bytes.
fn next_csv_record(reader: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    let mut line = Vec::new();
    let Some(mut fits) = next_line(reader, &mut line, IMPORT_LINE_BYTES_MAX)? else {
        return Ok(None);
    };
    buf.clear();
    buf.extend_from_slice(&line);
    let mut quotes = line.iter().filter(|&&b| b == b'"').count();
    while fits && quotes % 2 == 1 {
        let Some(more) = next_line(reader, &mut line, IMPORT_LINE_BYTES_MAX)? else {
            break;
        };
        fits = more && buf.len() + 1 + line.len() <= IMPORT_LINE_BYTES_MAX;
        if fits {
            buf.push(b'\n');
            buf.extend_from_slice(&line);
            quotes += line.iter().filter(|&&b| b == b'"').count();
        }
    }
    if !fits {
        buf.clear();
    }
    Ok(Some(fits))
}

/// Splits one record (RFC 4180 quoting: `"a,b"`, `""` for a quote inside). `None` when
/// it is not UTF-8 or a quote is left open.
fn parse_csv(record: &[u8], delimiter: u8) -> Option<Vec<String>> {
    let text = std::str::from_utf8(record).ok()?;
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == delimiter as char {
            fields.push(std::mem::take(&mut field));
        } else if c == '"' && field.is_empty() {
            quoted = true;
        } else {
            field.push(c);
        }
        if fields.len() > CSV_COLUMNS_MAX {
            return None;
        }
    }
    if quoted {
        return None;
    }
    fields.push(field);
    Some(fields)
}

/// Validated items on their way into the table, in chunks of at most
/// [`MAX_ITEMS_PER_WRITE`] with no key twice (a later duplicate overwrites the earlier
/// item, in a later write).
struct Sink<'a> {
    core: &'a Core,
    def: &'a Arc<TableDef>,
    /// The typed attributes of CSV: the table's and its GSIs' key attributes.
    key_types: BTreeMap<&'a str, ScalarAttributeType>,
    pending: Vec<(Vec<u8>, KeyValues, Item)>,
    imported: u64,
    errors: u64,
}

impl<'a> Sink<'a> {
    fn new(core: &'a Core, def: &'a Arc<TableDef>) -> Self {
        let key_types = def
            .key
            .attrs()
            .chain(def.gsis.iter().flat_map(|g| g.key.attrs()))
            .map(|a| (a.name.as_str(), a.ty))
            .collect();
        Sink {
            core,
            def,
            key_types,
            pending: Vec::with_capacity(MAX_ITEMS_PER_WRITE),
            imported: 0,
            errors: 0,
        }
    }

    /// Queues `item`, or counts it as an error when it is not a valid item of the table.
    fn add(&mut self, item: Item) -> Result<(), Error> {
        let checked = self.def.key.item_key(&item).and_then(|key| {
            validate_new_item(self.def, &item)?;
            Ok((entry_key(self.def.id, &key.pk, key.sk.as_ref())?, key))
        });
        let Ok((entry, key)) = checked else {
            self.errors += 1;
            return Ok(());
        };
        if self.pending.iter().any(|(e, _, _)| *e == entry) {
            self.flush()?;
        }
        self.pending.push((entry, key, item));
        if self.pending.len() == MAX_ITEMS_PER_WRITE {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the queued items through the one write path.
    fn flush(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        put_items(
            self.core,
            &self.def.name,
            self.pending.iter().map(|(_, key, item)| (key, item)),
            false,
        )?;
        self.imported += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// A CSV record as an item: key attributes typed by their definitions, every other
    /// column a string, empty columns left out. `None` when a typed value does not parse.
    fn csv_item(&self, columns: &[String], fields: Vec<String>) -> Option<Item> {
        let mut item = Item::new();
        for (name, value) in columns.iter().zip(fields) {
            if value.is_empty() {
                continue;
            }
            let v = match self.key_types.get(name.as_str()) {
                Some(ScalarAttributeType::N) => AttributeValue::N(Number::parse(&value).ok()?),
                Some(ScalarAttributeType::B) => AttributeValue::B(BASE64.decode(&value).ok()?),
                Some(ScalarAttributeType::S) | None => AttributeValue::S(value),
            };
            item.insert(name.clone(), v);
        }
        Some(item)
    }
}

/// Removes a failed import's table `created` (data included) and stores its record, in
/// one batch.
fn abandon(core: &Core, created: &TableDef, record: &ImportRecord) -> Result<(), Error> {
    let table = created.name.as_str();
    let mut cat = core.catalog.write();
    let mut batch = WriteBatch::new();
    batch.put(records::import_key(&record.id), records::encode(record));
    let ours = cat
        .tables
        .get(table)
        .filter(|d| d.id == created.id)
        .cloned();
    match ours {
        Some(def) => control::remove_table(core, &mut cat, &def, batch),
        None => {
            core.backend.write(batch)?;
            Ok(())
        }
    }
}

fn describe(core: &Core, r: &ImportRecord) -> ImportTableDescription {
    let (status, failure) = transfer::effective_status('I', &r.id, r.status, &r.failure);
    let def = TableDef::from(r.table.clone());
    let described = def.describe(&core.opts.region, core.opts.clock.now_micros());
    let format = match r.format {
        ImportFormatRecord::DynamodbJson => InputFormat::DynamodbJson,
        ImportFormatRecord::Csv => InputFormat::Csv,
    };
    let csv_options =
        (r.csv_delimiter.is_some() || r.csv_header_list.is_some()).then(|| InputFormatOptions {
            csv: Some(CsvOptions {
                delimiter: r.csv_delimiter.clone(),
                header_list: r.csv_header_list.clone(),
            }),
        });
    let gsis: Option<Vec<GlobalSecondaryIndex>> = described.global_secondary_indexes.map(|g| {
        g.into_iter()
            .map(|i| GlobalSecondaryIndex {
                index_name: i.index_name,
                key_schema: i.key_schema,
                projection: i.projection,
                provisioned_throughput: def.throughput.map(|_| ProvisionedThroughput {
                    read_capacity_units: i.provisioned_throughput.read_capacity_units,
                    write_capacity_units: i.provisioned_throughput.write_capacity_units,
                }),
                on_demand_throughput: None,
                warm_throughput: None,
            })
            .collect()
    });
    ImportTableDescription {
        import_arn: transfer::job_arn(core, &def.name, "import", &r.id),
        import_status: match status {
            JobStatus::InProgress => ImportStatus::InProgress,
            JobStatus::Completed => ImportStatus::Completed,
            JobStatus::Failed => ImportStatus::Failed,
        },
        table_arn: described.table_arn,
        table_id: described.table_id,
        client_token: r.client_token.clone(),
        s3_bucket_source: S3BucketSource {
            s3_bucket_owner: r.bucket_owner.clone(),
            s3_bucket: r.bucket.clone(),
            s3_key_prefix: r.key_prefix.clone(),
        },
        error_count: r.error_count as i64,
        input_format: format,
        input_format_options: csv_options,
        input_compression_type: if r.gzip {
            InputCompressionType::Gzip
        } else {
            InputCompressionType::None
        },
        table_creation_parameters: TableCreationParameters {
            table_name: def.name.clone(),
            attribute_definitions: def.attribute_definitions.clone(),
            key_schema: def.key.schema(),
            billing_mode: Some(def.billing_mode),
            provisioned_throughput: def.throughput,
            sse_specification: None,
            global_secondary_indexes: gsis,
            on_demand_throughput: def.on_demand_throughput,
            vector_indexes: None,
        },
        start_time: seconds(r.start_micros),
        end_time: r.end_micros.map(seconds),
        processed_size_bytes: r.processed_size_bytes as i64,
        processed_item_count: r.processed_item_count as i64,
        imported_item_count: r.imported_item_count as i64,
        failure_code: failure.as_ref().map(|f| f.code.clone()),
        failure_message: failure.map(|f| f.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(bool, Vec<u8>)> {
        let mut r: &[u8] = input;
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for _ in 0..100 {
            match next_line(&mut r, &mut buf, max).unwrap() {
                Some(fits) => out.push((fits, buf.clone())),
                None => return out,
            }
        }
        panic!("no end");
    }

    #[test]
    fn long_lines_are_skipped_whole_and_the_next_line_still_reads() {
        let got = lines(b"ab\r\n0123456789\nxy\nlast", 4);
        assert_eq!(got[0], (true, b"ab".to_vec()));
        assert!(!got[1].0);
        assert_eq!(got[2], (true, b"xy".to_vec()));
        assert_eq!(got[3], (true, b"last".to_vec()));
        assert_eq!(got.len(), 4);
        assert_eq!(lines(b"", 4), vec![]);
        assert_eq!(lines(b"0123456789", 4).len(), 1);
    }

    #[test]
    fn csv_fields_follow_rfc_4180_quoting() {
        assert_eq!(
            parse_csv(b"a,b,c", b','),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(
            parse_csv(br#""x, y","say ""hi""",,z"#, b','),
            Some(vec![
                "x, y".into(),
                r#"say "hi""#.into(),
                "".into(),
                "z".into()
            ])
        );
        assert_eq!(parse_csv(b"a|b", b'|'), Some(vec!["a".into(), "b".into()]));
        assert_eq!(parse_csv(b"\"open", b','), None);
        assert_eq!(parse_csv(b"\xff", b','), None);
        let wide = vec![b','; CSV_COLUMNS_MAX + 1];
        assert_eq!(parse_csv(&wide, b','), None);
    }

    #[test]
    fn a_quoted_field_may_span_lines() {
        let mut r: &[u8] = b"k,\"two\nlines\"\nnext,1\n";
        let mut buf = Vec::new();
        assert_eq!(next_csv_record(&mut r, &mut buf).unwrap(), Some(true));
        assert_eq!(
            parse_csv(&buf, b','),
            Some(vec!["k".into(), "two\nlines".into()])
        );
        assert_eq!(next_csv_record(&mut r, &mut buf).unwrap(), Some(true));
        assert_eq!(buf, b"next,1");
        assert_eq!(next_csv_record(&mut r, &mut buf).unwrap(), None);
    }

    #[test]
    fn export_metadata_is_not_imported() {
        for name in [
            "_started",
            "manifest-files.json",
            "manifest-summary.json",
            "x.checksum",
        ] {
            assert!(is_export_metadata(name), "{name}");
        }
        assert!(!is_export_metadata("abc.json.gz"));
    }
}
