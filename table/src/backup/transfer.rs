//! What exports and imports share: DynamoDB's S3 locations mapped onto a local directory,
//! their ARNs and page tokens, and the jobs running in this process.
//!
//! The mapping (`docs/pitr-and-backups.md`): `S3Bucket` is a directory under
//! `DatabaseOptions::export_dir`, and a prefix is a `/`-separated relative path in it.
//! Requests come from the network, so nothing a client sends may name a path outside
//! the bucket: a bucket must match DynamoDB's bucket pattern (one path segment, no `..`)
//! and a prefix may have no empty, `.` or `..` segment, no leading `/` and no `\`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::catalog::ACCOUNT_ID;
use crate::core::Core;
use crate::error::{BackupValidation, Error, ValidationError};
use crate::export_records::{is_id, FailureRecord, JobStatus};

/// DynamoDB's longest `S3Bucket`.
pub(crate) const S3_BUCKET_BYTES_MAX: usize = 255;
/// DynamoDB's longest `S3Prefix` / `S3KeyPrefix`.
pub(crate) const S3_PREFIX_BYTES_MAX: usize = 1024;
/// DynamoDB's largest ListExports and ListImports page (also the default).
pub(crate) const LIST_PAGE_MAX: i64 = 25;
/// The FailureCode of a job whose process stopped while it ran.
pub(crate) const INTERRUPTED_CODE: &str = "Interrupted";

/// The export and import ids running in this process (`E<id>`, `I<id>`). A job's record
/// says IN_PROGRESS while it runs; one that says so but is not here was cut short by a
/// crash or a restart and is described as FAILED. Ids carry their millisecond and a
/// per-process salt, so one set serves every `Database` of the process. A leaf lock.
static RUNNING: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Marks a job running until dropped (also on an error or a panic).
#[derive(Debug)]
pub(crate) struct Running(String);

impl Running {
    /// Registers `kind` (`'E'` or `'I'`) job `id`.
    pub(crate) fn start(kind: char, id: &str) -> Running {
        let key = format!("{kind}{id}");
        let fresh = RUNNING.lock().insert(key.clone());
        debug_assert!(fresh, "job ids are unique: {key}");
        Running(key)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.lock().remove(&self.0);
    }
}

/// A record's status as described: IN_PROGRESS only while the job runs in this process.
pub(crate) fn effective_status(
    kind: char,
    id: &str,
    status: JobStatus,
    failure: &Option<FailureRecord>,
) -> (JobStatus, Option<FailureRecord>) {
    if status == JobStatus::InProgress && !RUNNING.lock().contains(&format!("{kind}{id}")) {
        return (
            JobStatus::Failed,
            Some(FailureRecord {
                code: INTERRUPTED_CODE.to_owned(),
                message: "the server stopped while this job ran".to_owned(),
            }),
        );
    }
    (status, failure.clone())
}

/// The export root.
///
/// # Errors
/// ValidationException naming `operation` when `DatabaseOptions::export_dir` is unset.
pub(crate) fn root(core: &Core, operation: &'static str) -> Result<PathBuf, Error> {
    core.opts
        .export_dir
        .clone()
        .ok_or_else(|| BackupValidation::NoExportDirectory { operation }.into())
}

/// The directory of `bucket` under `root`.
///
/// # Errors
/// ValidationException when `bucket` breaks DynamoDB's pattern
/// `^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$` or is over 255 bytes.
pub(crate) fn bucket_dir(root: &Path, field: &'static str, bucket: &str) -> Result<PathBuf, Error> {
    let b = bucket.as_bytes();
    let inner_ok = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_');
    let ok = b.len() >= 2
        && b.len() <= S3_BUCKET_BYTES_MAX
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(inner_ok);
    if !ok {
        return Err(BackupValidation::S3BucketPattern {
            field,
            value: bucket.to_owned(),
        }
        .into());
    }
    // The pattern leaves no separator and no segment that is all dots.
    debug_assert!(!bucket.contains('/') && bucket != "." && bucket != "..");
    Ok(root.join(bucket))
}

/// The segments of a prefix (`a/b/`: `["a", "b"]`; one trailing `/` is dropped; empty:
/// none).
///
/// # Errors
/// ValidationException for a prefix over 1024 bytes, or one that could leave the bucket:
/// a leading `/`, a `\` or NUL, an empty, `.` or `..` segment.
pub(crate) fn prefix_segments<'a>(
    field: &'static str,
    prefix: &'a str,
) -> Result<Vec<&'a str>, Error> {
    if prefix.len() > S3_PREFIX_BYTES_MAX {
        return Err(ValidationError::ListLength {
            field,
            constraint: "less than or equal to 1024",
        }
        .into());
    }
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    if trimmed.is_empty() && prefix.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || -> Error {
        BackupValidation::S3PathOutsideBucket {
            field,
            value: prefix.to_owned(),
        }
        .into()
    };
    if trimmed.is_empty() || trimmed.contains(['\\', '\0']) {
        return Err(bad());
    }
    let segments: Vec<&str> = trimmed.split('/').collect();
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(bad());
    }
    Ok(segments)
}

/// `dir` with `segments` appended (each checked by [`prefix_segments`]).
pub(crate) fn join(dir: &Path, segments: &[&str]) -> PathBuf {
    let mut out = dir.to_path_buf();
    for s in segments {
        debug_assert!(!s.is_empty() && *s != "." && *s != ".." && !s.contains('/'));
        out.push(s);
    }
    out
}

/// `arn:aws:dynamodb:<region>:<account>:table/<table>`.
pub(crate) fn table_arn(core: &Core, table: &str) -> String {
    crate::catalog::table_arn(&core.opts.region, table)
}

/// `<table ARN>/<kind>/<id>` (`kind`: `export`, `import`).
pub(crate) fn job_arn(core: &Core, table: &str, kind: &str, id: &str) -> String {
    format!("{}/{kind}/{id}", table_arn(core, table))
}

/// `(table, id)` of an export or import ARN of this account, or `None`.
pub(crate) fn parse_job_arn(arn: &str, kind: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", _, "dynamodb", _, account, resource] = parts.as_slice() else {
        return None;
    };
    if *account != ACCOUNT_ID {
        return None;
    }
    let mut it = resource.split('/');
    match (it.next(), it.next(), it.next(), it.next(), it.next()) {
        (Some("table"), Some(table), Some(k), Some(id), None)
            if k == kind && !table.is_empty() && is_id(id) =>
        {
            Some((table.to_owned(), id.to_owned()))
        }
        _ => None,
    }
}

/// A List call's page size: 1 to 25, default 25.
///
/// # Errors
/// ValidationException out of range.
pub(crate) fn page_size(field: &'static str, limit: Option<i64>) -> Result<usize, Error> {
    match limit {
        None => Ok(LIST_PAGE_MAX as usize),
        Some(n) if (1..=LIST_PAGE_MAX).contains(&n) => Ok(n as usize),
        Some(n) => Err(ValidationError::OutOfRange {
            field,
            value: n,
            constraint: if n < 1 {
                "greater than or equal to 1"
            } else {
                "less than or equal to 25"
            },
        }
        .into()),
    }
}

/// The id a NextToken resumes after (tokens are the last id of the previous page).
///
/// # Errors
/// ValidationException for a token this server did not hand out.
pub(crate) fn resume_after(token: Option<&str>) -> Result<Option<&str>, Error> {
    match token {
        None => Ok(None),
        Some(t) if is_id(t) => Ok(Some(t)),
        Some(t) => Err(BackupValidation::InvalidNextToken {
            token: t.to_owned(),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_one_safe_segment() {
        let root = Path::new("/exports");
        for ok in ["my-bucket", "a.b_c-d", "B1", "a..b"] {
            assert_eq!(
                bucket_dir(root, "s3Bucket", ok).unwrap(),
                root.join(ok),
                "{ok}"
            );
        }
        for bad in [
            "", "a", "..", ".", "a/b", "/etc", "-a", "a-", ".a", "a b", "a\\b", "ä", "a\0b",
        ] {
            let e = bucket_dir(root, "s3Bucket", bad).unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException", "{bad:?}");
            assert!(e.message().contains("at 's3Bucket'"), "{}", e.message());
        }
        assert!(bucket_dir(root, "s3Bucket", &"a".repeat(256)).is_err());
    }

    #[test]
    fn prefixes_never_leave_the_bucket() {
        assert_eq!(prefix_segments("s3Prefix", "").unwrap(), Vec::<&str>::new());
        assert_eq!(prefix_segments("s3Prefix", "a/b").unwrap(), ["a", "b"]);
        assert_eq!(prefix_segments("s3Prefix", "a/b/").unwrap(), ["a", "b"]);
        assert_eq!(
            prefix_segments("s3Prefix", "2020-Nov").unwrap(),
            ["2020-Nov"]
        );
        for bad in [
            "/", "/abs", "..", "../x", "a/../b", "a/..", "./a", "a//b", "a\\..\\b", "a\0", "//",
            "a/./b",
        ] {
            let e = prefix_segments("s3Prefix", bad).unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException", "{bad:?}");
        }
        assert!(prefix_segments("s3Prefix", &"a".repeat(1025)).is_err());
    }

    #[test]
    fn job_arns_round_trip() {
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/T/export/01700000000000-0000abcd";
        assert_eq!(
            parse_job_arn(arn, "export"),
            Some(("T".into(), "01700000000000-0000abcd".into()))
        );
        assert_eq!(parse_job_arn(arn, "import"), None);
        assert_eq!(
            parse_job_arn(
                "arn:aws:dynamodb:us-east-1:000000000000:table/T/export/../x",
                "export"
            ),
            None
        );
        assert_eq!(parse_job_arn("nonsense", "export"), None);
    }

    #[test]
    fn a_job_is_in_progress_only_while_it_runs() {
        let id = "01700000000000-feedbeef";
        let guard = Running::start('E', id);
        assert_eq!(
            effective_status('E', id, JobStatus::InProgress, &None).0,
            JobStatus::InProgress
        );
        drop(guard);
        let (status, failure) = effective_status('E', id, JobStatus::InProgress, &None);
        assert_eq!(status, JobStatus::Failed);
        assert_eq!(failure.unwrap().code, INTERRUPTED_CODE);
    }
}
