//! boto3 drives ExportTableToPointInTime, DescribeExport, ListExports, ImportTable,
//! DescribeImport and ListImports through the real binary
//! (`tests/py/boto3_export_import.py`): on disk, an export at a past second is read back
//! from `<data-dir>/exports` as a DynamoDB-export reader would, imported into a new
//! table, and a CSV file imported; after a restart the records and files are still
//! there. In memory, both are refused with a message that says why.
//!
//! Needs `python3` with `boto3` (CI installs it); without them the tests print a notice
//! and pass, unless `SHALE_REQUIRE_CLIENTS=1`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{assert_request_counts, require_boto3, run_boto3_script, Server};

/// A SIGTERMed idle server exits well within this.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/py/boto3_export_import.py"
);

fn run_phase(server: &Server, phase: &str, export_root: &Path, state_file: &Path) {
    run_boto3_script(
        &format!("boto3 export/import {phase}"),
        SCRIPT,
        &[
            &server.url(),
            phase,
            export_root.to_str().expect("a UTF-8 temp path"),
            state_file.to_str().expect("a UTF-8 temp path"),
        ],
    );
}

#[test]
fn boto3_export_and_import_on_disk_survive_a_restart() {
    if !require_boto3("boto3_export_and_import_on_disk_survive_a_restart") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let exports = data.join("exports");
    let state = dir.path().join("state.json");
    {
        let mut server = Server::start(&["--data-dir", data_arg]);
        run_phase(&server, "main", &exports, &state);
        check_metrics(&server);
        server.sigterm();
        let status = server.wait_exit(SHUTDOWN_DEADLINE).expect("exits");
        assert!(status.success(), "{status}");
    }
    assert!(
        exports
            .join("music-exports/daily/2024/AWSDynamoDB")
            .is_dir(),
        "the export is under <data-dir>/exports/<S3Bucket>/<S3Prefix>"
    );
    let server = Server::start(&["--data-dir", data_arg]);
    run_phase(&server, "after-restart", &exports, &state);
}

#[test]
fn boto3_export_and_import_are_refused_in_memory() {
    if !require_boto3("boto3_export_and_import_are_refused_in_memory") {
        return;
    }
    let server = Server::in_memory();
    run_phase(&server, "in-memory", Path::new("-"), Path::new("-"));
}

/// The operations are counted by table and outcome like the others: exports under their
/// source table, imports under the table they create.
fn check_metrics(server: &Server) {
    assert_request_counts(
        server.addr,
        &[
            r#"{operation="ExportTableToPointInTime",table="Songs",outcome="ok"} 1"#,
            r#"{operation="ExportTableToPointInTime",table="Songs",outcome="PointInTimeRecoveryUnavailableException"} 1"#,
            r#"{operation="ExportTableToPointInTime",table="Songs",outcome="InvalidExportTimeException"} 1"#,
            r#"{operation="DescribeExport",table="Songs",outcome="ok"} 1"#,
            r#"{operation="ListExports",table="Songs",outcome="ok"} 1"#,
            r#"{operation="ImportTable",table="SongsAtT",outcome="ok"} 1"#,
            r#"{operation="ImportTable",table="SongsAtT",outcome="ResourceInUseException"} 1"#,
            r#"{operation="ImportTable",table="FromCsv",outcome="ok"} 1"#,
            r#"{operation="DescribeImport",table="SongsAtT",outcome="ok"} 1"#,
        ],
    );
}
