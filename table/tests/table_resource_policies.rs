//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy on table ARNs: stored
//! durably, revisions as the API reference describes them (idempotent puts, an expected
//! revision or NO_POLICY), deleted with the table, attached by CreateTable's
//! `ResourcePolicy`, and the errors of each case.

mod support;

use shale_table::*;
use support::*;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"dynamodb:GetItem","Resource":"*"}]}"#;

fn arn(db: &Database, table: &str) -> String {
    db.describe_table(DescribeTableInput {
        table_name: table.into(),
    })
    .unwrap()
    .table
    .table_arn
}

fn put(db: &Database, arn: &str, policy: &str, expected: Option<&str>) -> Result<String, Error> {
    db.put_resource_policy(PutResourcePolicyInput {
        resource_arn: arn.into(),
        policy: policy.into(),
        expected_revision_id: expected.map(str::to_owned),
        ..Default::default()
    })
    .map(|o| o.revision_id)
}

fn get(db: &Database, arn: &str) -> Result<GetResourcePolicyOutput, Error> {
    db.get_resource_policy(GetResourcePolicyInput {
        resource_arn: arn.into(),
    })
}

#[test]
fn a_policy_is_stored_revised_and_deleted() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Pol", None)).unwrap();
        let arn = arn(&db, "Pol");
        let e = get(&db, &arn).unwrap_err();
        assert_eq!(e.exception_name(), "PolicyNotFoundException");
        assert!(e.message().contains(&arn), "{}", e.message());
        // NO_POLICY: only while there is none.
        let first = put(&db, &arn, POLICY, Some("NO_POLICY")).unwrap();
        let got = get(&db, &arn).unwrap();
        assert_eq!(
            (got.policy.as_str(), got.revision_id.as_str()),
            (POLICY, first.as_str())
        );
        let e = put(&db, &arn, POLICY, Some("NO_POLICY")).unwrap_err();
        assert_eq!(e.exception_name(), "PolicyNotFoundException");
        // The same document again keeps its revision (idempotent).
        assert_eq!(put(&db, &arn, POLICY, None).unwrap(), first);
        // A new document under the current revision gets a new one; a stale revision is
        // refused and changes nothing.
        let other = POLICY.replace("GetItem", "Query");
        let second = put(&db, &arn, &other, Some(&first)).unwrap();
        assert_ne!(second, first);
        let e = put(&db, &arn, POLICY, Some(&first)).unwrap_err();
        assert_eq!(e.exception_name(), "PolicyNotFoundException");
        assert_eq!(get(&db, &arn).unwrap().policy, other);
        // Delete, with and without an expected revision.
        let stale = db.delete_resource_policy(DeleteResourcePolicyInput {
            resource_arn: arn.clone(),
            expected_revision_id: Some(first.clone()),
        });
        assert_eq!(
            stale.unwrap_err().exception_name(),
            "PolicyNotFoundException"
        );
        let deleted = db
            .delete_resource_policy(DeleteResourcePolicyInput {
                resource_arn: arn.clone(),
                expected_revision_id: Some(second.clone()),
            })
            .unwrap();
        assert_eq!(deleted.revision_id, second);
        let again = db.delete_resource_policy(DeleteResourcePolicyInput {
            resource_arn: arn.clone(),
            expected_revision_id: None,
        });
        assert_eq!(
            again.unwrap_err().exception_name(),
            "PolicyNotFoundException"
        );
    });
}

#[test]
fn a_policy_survives_a_reopen_and_goes_with_its_table() {
    for backend in backends() {
        let db = open(&backend);
        db.create_table(simple_table("Pol", None)).unwrap();
        let arn = arn(&db, "Pol");
        let revision = put(&db, &arn, POLICY, None).unwrap();
        drop(db);
        let db = open(&backend);
        assert_eq!(get(&db, &arn).unwrap().revision_id, revision);
        assert_eq!(policy_records(&db), 1);
        db.delete_table(DeleteTableInput {
            table_name: "Pol".into(),
        })
        .unwrap();
        assert_eq!(policy_records(&db), 0, "deleted with the table");
        db.create_table(simple_table("Pol", None)).unwrap();
        let e = get(&db, &arn).unwrap_err();
        assert_eq!(
            e.exception_name(),
            "PolicyNotFoundException",
            "a new table starts without"
        );
    }
}

#[test]
fn create_table_attaches_its_resource_policy() {
    for_each_backend(|_, db| {
        let created = db
            .create_table(CreateTableInput {
                resource_policy: Some(POLICY.into()),
                ..simple_table("Pol", None)
            })
            .unwrap()
            .table_description;
        let got = get(&db, &created.table_arn).unwrap();
        assert_eq!(got.policy, POLICY);
        // The revision is the creation time, in microseconds; the next is later.
        let created_micros = (created.creation_date_time * 1e6).round() as u64;
        let revision: u64 = got.revision_id.parse().unwrap();
        assert!(
            revision.abs_diff(created_micros) <= 1,
            "{revision} vs {created_micros}"
        );
        let next = put(
            &db,
            &created.table_arn,
            &POLICY.replace("GetItem", "Query"),
            Some(&got.revision_id),
        )
        .unwrap();
        assert!(next.parse::<u64>().unwrap() > revision);
        // A document PutResourcePolicy refuses fails the CreateTable, which creates
        // nothing.
        let e = db
            .create_table(CreateTableInput {
                resource_policy: Some("[1, 2]".into()),
                ..simple_table("Pol2", None)
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        let listed = db.list_tables(ListTablesInput::default()).unwrap();
        assert_eq!(listed.table_names, ["Pol"]);
    });
}

#[test]
fn bad_arns_documents_and_missing_tables_are_refused() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Pol", None)).unwrap();
        let arn = arn(&db, "Pol");
        let e = put(&db, "not-an-arn", POLICY, None).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        let missing = arn.replace("table/Pol", "table/Nope");
        assert_eq!(
            put(&db, &missing, POLICY, None)
                .unwrap_err()
                .exception_name(),
            "ResourceNotFoundException"
        );
        assert_eq!(
            get(&db, &missing).unwrap_err().exception_name(),
            "ResourceNotFoundException"
        );
        for bad in ["[1, 2]", "not json", "\"a string\""] {
            let e = put(&db, &arn, bad, None).unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException", "{bad}");
        }
        let big = format!(r#"{{"Statement": "{}"}}"#, "x".repeat(20 * 1024));
        let e = put(&db, &arn, &big, None).unwrap_err();
        assert!(e.message().contains("20 KB"), "{}", e.message());
        // White space counts: a document just under the limit is kept as given.
        let padded = format!("{POLICY}{}", " ".repeat(20 * 1024 - POLICY.len()));
        put(&db, &arn, &padded, None).unwrap();
        assert_eq!(get(&db, &arn).unwrap().policy, padded);
    });
}

#[test]
fn a_stream_has_a_policy_of_its_own_until_the_stream_is_purged() {
    let clock = shale_io::clock::ManualClock::new(1_700_000_000_000_000);
    for b in clocked_backends(&clock) {
        let opts = options().with_clock(std::sync::Arc::new(clock.clone()));
        let db = Database::open(b.backend.clone(), opts).unwrap();
        db.create_table(simple_table("Pol", None)).unwrap();
        let stream = enable_stream(&db, "Pol", StreamViewType::KeysOnly);
        let table = arn(&db, "Pol");
        let revision = put(&db, &stream, POLICY, None).unwrap();
        assert_eq!(get(&db, &stream).unwrap().revision_id, revision);
        let e = get(&db, &table).unwrap_err();
        assert_eq!(
            e.exception_name(),
            "PolicyNotFoundException",
            "the table's is apart"
        );
        let other = stream.replace("/stream/", "/stream/1999-");
        assert_eq!(
            get(&db, &other).unwrap_err().exception_name(),
            "ValidationException"
        );
        // Disabled, the stream stays readable for 24 hours, its policy with it; then both
        // are purged.
        db.update_table(UpdateTableInput {
            table_name: "Pol".into(),
            stream_specification: Some(StreamSpecification {
                stream_enabled: false,
                stream_view_type: None,
            }),
            ..Default::default()
        })
        .unwrap();
        assert!(get(&db, &stream).is_ok());
        clock.advance_secs(25 * 3600);
        db.run_stream_upkeep().unwrap();
        let e = get(&db, &stream).unwrap_err();
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
        // The policy's record went with the stream's (docs/format/catalog.md: tag 'Q').
        assert_eq!(policy_records(&db), 0);
    }
}

/// How many resource-policy records the catalog holds.
fn policy_records(db: &Database) -> usize {
    let start = vec![0, 0, 0, 0, b'Q'];
    let end = vec![0, 0, 0, 0, b'Q' + 1];
    db.backend()
        .scan(
            std::ops::Bound::Included(start),
            std::ops::Bound::Excluded(end),
            shale_engine::Direction::Forward,
            None,
        )
        .unwrap()
        .count()
}
