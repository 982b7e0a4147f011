//! boto3 drives point-in-time recovery and on-demand backups through the real binary
//! (`tests/py/boto3_pitr_and_backups.py`), in memory and on disk: enable PITR, restore to
//! a past second and to the latest time, back up, delete the source, restore from the
//! backup, delete the backup, and DynamoDB's exceptions for each misuse. On disk the
//! server is then restarted and the kept backup and PITR window must still work, and the
//! checkpoints must be in `<data-dir>/backups`.
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the tests print a notice
//! and pass, so a bare `cargo test` on a machine without Python still runs; with
//! `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) they fail instead.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{assert_request_counts, require_boto3, run_boto3_script, Server};
use serde_json::Value;

/// Bound on one phase of the script (it takes a few seconds: two 1.1 s pauses, restores).
/// A SIGTERMed idle server exits well within this.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

#[test]
fn boto3_pitr_and_backups_in_memory() {
    if !require_boto3("boto3_pitr_and_backups_in_memory") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let server = Server::in_memory();
    run_phase(&server, "main", &state);
    check_metrics(&server);
}

#[test]
fn boto3_pitr_and_backups_on_disk_survive_a_restart() {
    if !require_boto3("boto3_pitr_and_backups_on_disk_survive_a_restart") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let state_file = dir.path().join("state.json");
    {
        let mut server = Server::start(&["--data-dir", data_arg]);
        run_phase(&server, "main", &state_file);
        check_metrics(&server);
        server.sigterm();
        let status = server.wait_exit(SHUTDOWN_DEADLINE).expect("exits");
        assert!(status.success(), "{status}");
    }
    let state: Value =
        serde_json::from_slice(&std::fs::read(&state_file).expect("state file")).unwrap();
    let backups = data.join("backups");
    let kept = backups.join(state["kept_backup_id"].as_str().expect("kept id"));
    let deleted = backups.join(state["deleted_backup_id"].as_str().expect("deleted id"));
    assert!(
        kept.is_dir(),
        "the kept backup's checkpoint is in {}",
        kept.display()
    );
    assert!(
        !deleted.exists(),
        "DeleteBackup removed its checkpoint {}",
        deleted.display()
    );
    let server = Server::start(&["--data-dir", data_arg]);
    run_phase(&server, "after-restart", &state_file);
    assert!(
        !kept.exists(),
        "DeleteBackup after the restart removed {}",
        kept.display()
    );
}

fn run_phase(server: &Server, phase: &str, state_file: &Path) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/py/boto3_pitr_and_backups.py"
    );
    let state = state_file.to_str().expect("a UTF-8 temp path");
    run_boto3_script(
        &format!("boto3 pitr/backups {phase}"),
        script,
        &[&server.url(), phase, state],
    );
}

/// The new operations are counted by table and outcome like the others. A table keeps
/// the label it got while it existed; restores are labelled with their target.
fn check_metrics(server: &Server) {
    assert_request_counts(
        server.addr,
        &[
            r#"{operation="UpdateContinuousBackups",table="Orders",outcome="ok"} 1"#,
            r#"{operation="UpdateContinuousBackups",table="Orders",outcome="ValidationException"} 1"#,
            r#"{operation="RestoreTableToPointInTime",table="OrdersAtT",outcome="ok"} 1"#,
            r#"{operation="RestoreTableToPointInTime",table="OrdersAtT",outcome="TableAlreadyExistsException"} 1"#,
            r#"{operation="RestoreTableToPointInTime",table="_unknown",outcome="InvalidRestoreTimeException"} 2"#,
            r#"{operation="CreateBackup",table="Catalog",outcome="ok"} 1"#,
            r#"{operation="RestoreTableFromBackup",table="CatalogRestored",outcome="ok"} 1"#,
            // Catalog is deleted by then, but keeps the label it had.
            r#"{operation="DeleteBackup",table="Catalog",outcome="ok"} 1"#,
            r#"{operation="DescribeBackup",table="Catalog",outcome="BackupNotFoundException"} 1"#,
        ],
    );
}
