//! ExportTableToPointInTime and ImportTable through the table API, on the memory backend
//! and the LSM: an export at a past second holds exactly the table as it was then, in
//! files that parse back (gunzip, JSON lines) with manifest counts and MD5s that match;
//! importing that export gives the same table; CSV imports type the key attributes and
//! leave the rest strings; bad lines are counted, not fatal; no bucket or prefix reaches
//! outside the export root; the records survive a reopen.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use md5::{Digest, Md5};
use serde_json::Value;
use shale_engine::Backend;
use shale_io::clock::{Clock, ManualClock};
use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

const START_MICROS: u64 = 1_700_000_000_000_000;
type Model = BTreeMap<String, Item>;

fn open_at(backend: Arc<dyn Backend>, clock: &ManualClock, root: &Path) -> Database {
    Database::open(
        backend,
        options()
            .with_clock(Arc::new(clock.clone()))
            .with_export_dir(root),
    )
    .expect("open database")
}

/// Table `Orders` (pk S, sk N) with GSI `ByStatus` (status S).
fn orders(name: &str) -> CreateTableInput {
    let mut t = simple_table(name, Some(ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("status", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![by_status()]);
    t
}

fn by_status() -> GlobalSecondaryIndex {
    GlobalSecondaryIndex {
        index_name: "ByStatus".into(),
        key_schema: vec![hash("status")],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }
}

fn order(pk: &str, sk: u32, r: u32) -> Item {
    let mut i = item(&[
        ("pk", s(pk)),
        ("sk", n(&sk.to_string())),
        ("round", n(&r.to_string())),
        ("note", s(&format!("a \"quoted\"\nline, r{r}"))),
        ("blob", AttributeValue::B(vec![0, 255, r as u8])),
        (
            "tags",
            AttributeValue::Ss(vec!["x".into(), format!("r{r}")]),
        ),
    ]);
    if !sk.is_multiple_of(3) {
        i.insert("status".into(), s(["OPEN", "DONE"][(sk % 2) as usize]));
    }
    i
}

fn enable_pitr(db: &Database, table: &str) {
    db.update_continuous_backups(UpdateContinuousBackupsInput {
        table_name: table.into(),
        point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
            point_in_time_recovery_enabled: Some(true),
            recovery_period_in_days: None,
        }),
    })
    .expect("enable pitr");
}

/// Puts, overwrites and a delete for round `r`.
fn round(db: &Database, model: &mut Model, r: u32) {
    for j in 0..9u32 {
        let sk = (r * 5 + j * 3) % 20;
        let i = order(&format!("c{}", sk % 3), sk, r);
        model.insert(model_key(&i), i.clone());
        put(db, "Orders", i);
    }
    if let Some(victim) = model.values().nth(r as usize % model.len()).cloned() {
        model.remove(&model_key(&victim));
        db.delete_item(DeleteItemInput {
            table_name: "Orders".into(),
            key: item(&[("pk", victim["pk"].clone()), ("sk", victim["sk"].clone())]),
            ..Default::default()
        })
        .expect("delete");
    }
}

fn export(
    db: &Database,
    table: &str,
    bucket: &str,
    prefix: Option<&str>,
    t_micros: Option<u64>,
) -> Result<ExportDescription, Error> {
    db.export_table_to_point_in_time(ExportTableToPointInTimeInput {
        table_arn: format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}"),
        export_time: t_micros.map(|t| t as f64 / 1e6),
        s3_bucket: bucket.into(),
        s3_prefix: prefix.map(str::to_owned),
        client_token: Some("token-1".into()),
        ..Default::default()
    })
    .map(|o| o.export_description)
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads an export back as a DynamoDB-export reader would, checking every manifest
/// against the files; returns the summary and the items.
fn read_export(bucket_dir: &Path, description: &ExportDescription) -> (Value, Vec<Item>) {
    let summary_key = description
        .export_manifest
        .as_deref()
        .expect("a completed export names its manifest");
    let summary_bytes = std::fs::read(bucket_dir.join(summary_key)).expect("manifest-summary");
    let checksum = std::fs::read_to_string(
        bucket_dir.join(summary_key.replace("manifest-summary.json", "manifest-summary.checksum")),
    )
    .unwrap();
    assert_eq!(checksum, md5_hex(&summary_bytes));
    let summary: Value = serde_json::from_slice(&summary_bytes).expect("summary is JSON");
    let files_key = summary["manifestFilesS3Key"].as_str().unwrap();
    let files_bytes = std::fs::read(bucket_dir.join(files_key)).expect("manifest-files");
    assert_eq!(
        std::fs::read_to_string(
            bucket_dir.join(files_key.replace("manifest-files.json", "manifest-files.checksum"))
        )
        .unwrap(),
        md5_hex(&files_bytes)
    );
    let export_dir = bucket_dir.join(files_key).parent().unwrap().to_path_buf();
    assert!(export_dir.join("_started").is_file());
    let mut items = Vec::new();
    let mut listed = 0;
    for line in std::str::from_utf8(&files_bytes).unwrap().lines() {
        listed += 1;
        let f: Value = serde_json::from_str(line).expect("a manifest-files line is JSON");
        let key = f["dataFileS3Key"].as_str().unwrap();
        assert!(
            key.starts_with(&files_key.replace("manifest-files.json", "data/")),
            "{key}"
        );
        assert!(key.ends_with(".json.gz"), "{key}");
        let gz = std::fs::read(bucket_dir.join(key)).expect("data file");
        let md5 = Md5::digest(&gz);
        assert_eq!(f["md5Checksum"].as_str().unwrap(), BASE64.encode(md5));
        assert_eq!(f["etag"].as_str().unwrap(), format!("{}-1", md5_hex(&md5)));
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&gz[..])
            .read_to_string(&mut text)
            .expect("gunzip");
        let mut in_file = 0;
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).expect("a data line is JSON");
            assert_eq!(v.as_object().unwrap().len(), 1, "only Item: {line}");
            items.push(serde_json::from_value::<Item>(v["Item"].clone()).expect("DynamoDB JSON"));
            in_file += 1;
        }
        assert_eq!(f["itemCount"].as_u64().unwrap(), in_file);
        assert!(in_file <= EXPORT_FILE_ITEMS_MAX as u64);
    }
    assert!(listed >= 1, "at least one data file");
    assert_eq!(summary["itemCount"].as_u64().unwrap(), items.len() as u64);
    assert_eq!(description.item_count, Some(items.len() as i64));
    (summary, items)
}

#[test]
fn an_export_at_a_past_second_is_the_table_as_it_was_and_parses_back() {
    let clock = ManualClock::new(START_MICROS);
    for b in clocked_backends(&clock) {
        eprintln!("backend: {}", b.name);
        let root = tempfile::tempdir().unwrap();
        let db = open_at(b.backend.clone(), &clock, root.path());
        db.create_table(orders("Orders")).unwrap();
        enable_pitr(&db, "Orders");
        let mut model = Model::new();
        let mut states = Vec::new();
        for r in 0..5u32 {
            clock.advance_secs(1);
            round(&db, &mut model, r);
            if r == 2 {
                db.backend().flush().unwrap();
            }
            states.push((clock.now_micros(), model.clone()));
        }
        clock.advance_secs(1);
        for (i, (t, want)) in states.iter().enumerate() {
            let d = export(
                &db,
                "Orders",
                "my-bucket",
                Some("exports/2023-Nov"),
                Some(*t),
            )
            .unwrap();
            assert_eq!(d.export_status, ExportStatus::Completed, "{d:?}");
            assert_eq!(d.export_time, *t as f64 / 1e6);
            assert_eq!(d.client_token.as_deref(), Some("token-1"));
            assert!(
                d.export_arn.contains(":table/Orders/export/"),
                "{}",
                d.export_arn
            );
            let (summary, items) = read_export(&root.path().join("my-bucket"), &d);
            assert_eq!(sorted(items), sorted(want.values().cloned()), "second {i}");
            assert_eq!(summary["version"], "2020-06-30");
            assert_eq!(summary["exportArn"], d.export_arn.as_str());
            assert_eq!(summary["tableArn"], d.table_arn.as_str());
            assert_eq!(summary["tableId"], d.table_id.as_str());
            assert_eq!(summary["s3Bucket"], "my-bucket");
            assert_eq!(summary["s3Prefix"], "exports/2023-Nov");
            assert_eq!(summary["outputFormat"], "DYNAMODB_JSON");
            assert_eq!(summary["exportType"], "FULL_EXPORT");
            assert!(summary["exportTime"].as_str().unwrap().ends_with('Z'));
            assert_eq!(
                summary["billedSizeBytes"].as_i64(),
                d.billed_size_bytes,
                "{summary}"
            );
        }
        // Without ExportTime: now, the latest state.
        let latest = export(&db, "Orders", "my-bucket", None, None).unwrap();
        let (_, items) = read_export(&root.path().join("my-bucket"), &latest);
        assert_eq!(sorted(items), sorted(model.values().cloned()));

        // Described and listed, also after a reopen.
        let arns: Vec<String> = db
            .list_exports(ListExportsInput::default())
            .unwrap()
            .export_summaries
            .into_iter()
            .map(|s| s.export_arn)
            .collect();
        assert_eq!(arns.len(), states.len() + 1);
        drop(db);
        let db = open_at(b.backend.clone(), &clock, root.path());
        let again = db
            .describe_export(DescribeExportInput {
                export_arn: latest.export_arn.clone(),
            })
            .unwrap()
            .export_description;
        assert_eq!(again, latest);
        let mut paged = Vec::new();
        let mut token = None;
        for _ in 0..10 {
            let page = db
                .list_exports(ListExportsInput {
                    table_arn: Some("Orders".into()),
                    max_results: Some(4),
                    next_token: token.take(),
                })
                .unwrap();
            assert!(page.export_summaries.len() <= 4);
            paged.extend(page.export_summaries.into_iter().map(|s| {
                assert_eq!(s.export_status, ExportStatus::Completed);
                assert_eq!(s.export_type, ExportType::FullExport);
                s.export_arn
            }));
            match page.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(paged, arns, "oldest first, in pages");
        assert!(db
            .list_exports(ListExportsInput {
                table_arn: Some("Other".into()),
                ..Default::default()
            })
            .unwrap()
            .export_summaries
            .is_empty());
    }
}

/// A FilterSpecification selects as a Query would: a key condition on one partition (and
/// a sort range), a filter on non-key attributes, a projection. The files hold exactly
/// the model's matching items, projected; DescribeExport echoes the specification; and
/// what a Query refuses, the export refuses.
#[test]
fn a_filtered_export_writes_what_the_query_selects() {
    let clock = ManualClock::new(START_MICROS);
    let b = &clocked_backends(&clock)[1];
    let root = tempfile::tempdir().unwrap();
    let db = open_at(b.backend.clone(), &clock, root.path());
    db.create_table(orders("Orders")).unwrap();
    enable_pitr(&db, "Orders");
    let mut model = Model::new();
    for r in 0..4u32 {
        clock.advance_secs(1);
        round(&db, &mut model, r);
    }
    let spec = FilterSpecification {
        key_condition_expression: Some("pk = :c AND sk >= :low".into()),
        filter_expression: Some("attribute_exists(#s) AND #r >= :r".into()),
        projection_expression: Some("pk, sk, #s".into()),
        expression_attribute_names: Some(
            [
                ("#s".into(), "status".into()),
                ("#r".into(), "round".into()),
            ]
            .into(),
        ),
        expression_attribute_values: vals(&[(":c", s("c1")), (":low", n("4")), (":r", n("1"))]),
    };
    let filtered = |spec: FilterSpecification| {
        db.export_table_to_point_in_time(ExportTableToPointInTimeInput {
            table_arn: "Orders".into(),
            s3_bucket: "filtered".into(),
            filter_specification: Some(spec),
            ..Default::default()
        })
        .map(|o| o.export_description)
    };
    let d = filtered(spec.clone()).unwrap();
    assert_eq!(d.export_status, ExportStatus::Completed, "{d:?}");
    assert_eq!(d.filter_specification.as_ref(), Some(&spec));
    let wanted: Vec<Item> = model
        .values()
        .filter(|i| i["pk"] == s("c1") && i.contains_key("status"))
        .filter(|i| matches!((&i["sk"], &i["round"]), (AttributeValue::N(sk), AttributeValue::N(r)) if sk.to_string().parse::<u32>().unwrap() >= 4 && r.to_string().parse::<u32>().unwrap() >= 1))
        .map(|i| {
            ["pk", "sk", "status"]
                .iter()
                .map(|a| (a.to_string(), i[*a].clone()))
                .collect()
        })
        .collect();
    assert!(
        !wanted.is_empty() && wanted.len() < model.len(),
        "a real selection"
    );
    let (_, items) = read_export(&root.path().join("filtered"), &d);
    assert_eq!(sorted(items), sorted(wanted.clone()));
    assert_eq!(d.item_count, Some(wanted.len() as i64));
    let again = db
        .describe_export(DescribeExportInput {
            export_arn: d.export_arn.clone(),
        })
        .unwrap()
        .export_description;
    assert_eq!(again.filter_specification, Some(spec.clone()));

    // What a Query refuses: a filter on a key attribute beside a key condition, an unused
    // value, a key condition on a non-key attribute.
    let refused = |spec: FilterSpecification| filtered(spec).unwrap_err().message();
    assert_eq!(
        refused(FilterSpecification {
            filter_expression: Some("attribute_exists(#s) AND #r >= :r AND sk > :low".into()),
            ..spec.clone()
        }),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    );
    assert!(refused(FilterSpecification {
        projection_expression: None,
        expression_attribute_names: None,
        filter_expression: None,
        ..spec.clone()
    })
    .contains("unused in expressions: keys: {:r}"));
    let m = refused(FilterSpecification {
        key_condition_expression: Some("#s = :c".into()),
        filter_expression: None,
        expression_attribute_names: Some([("#s".into(), "status".into())].into()),
        expression_attribute_values: vals(&[(":c", s("c1"))]),
        ..spec
    });
    let query = db
        .query(QueryInput {
            table_name: "Orders".into(),
            key_condition_expression: Some("#s = :c".into()),
            expression_attribute_names: Some([("#s".into(), "status".into())].into()),
            expression_attribute_values: vals(&[(":c", s("c1"))]),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(m, query.message(), "the export refuses as the Query does");
    // Without a key condition, the filter may read keys (a filtered scan).
    let d = filtered(FilterSpecification {
        filter_expression: Some("sk < :five".into()),
        expression_attribute_values: vals(&[(":five", n("5"))]),
        ..Default::default()
    })
    .unwrap();
    let low = model
        .values()
        .filter(|i| matches!(&i["sk"], AttributeValue::N(sk) if sk.to_string().parse::<u32>().unwrap() < 5))
        .count();
    assert_eq!(d.item_count, Some(low as i64));
}

#[test]
fn large_tables_export_in_bounded_files() {
    let clock = ManualClock::new(START_MICROS);
    let b = &clocked_backends(&clock)[0];
    let root = tempfile::tempdir().unwrap();
    let db = open_at(b.backend.clone(), &clock, root.path());
    db.create_table(simple_table("Orders", None)).unwrap();
    enable_pitr(&db, "Orders");
    let count = EXPORT_FILE_ITEMS_MAX + 7;
    for chunk in (0..count).collect::<Vec<_>>().chunks(25) {
        let requests = chunk
            .iter()
            .map(|i| WriteRequest {
                put_request: Some(PutRequest {
                    item: item(&[("pk", s(&format!("k{i:06}")))]),
                }),
                delete_request: None,
            })
            .collect();
        db.batch_write_item(BatchWriteItemInput {
            return_item_collection_metrics: None,
            request_items: [("Orders".to_string(), requests)].into(),
            return_consumed_capacity: None,
        })
        .unwrap();
    }
    let d = export(&db, "Orders", "big", None, None).unwrap();
    let (_, items) = read_export(&root.path().join("big"), &d);
    assert_eq!(items.len(), count);
    let files = std::fs::read_dir(
        root.path()
            .join("big/AWSDynamoDB")
            .join(d.export_arn.rsplit('/').next().unwrap())
            .join("data"),
    )
    .unwrap()
    .count();
    assert_eq!(files, 2);
}

fn import_input(
    table: CreateTableInput,
    bucket: &str,
    prefix: &str,
    format: InputFormat,
    gzip: bool,
) -> ImportTableInput {
    ImportTableInput {
        client_token: None,
        s3_bucket_source: S3BucketSource {
            s3_bucket_owner: None,
            s3_bucket: bucket.into(),
            s3_key_prefix: Some(prefix.into()),
        },
        input_format: Some(format),
        input_format_options: None,
        input_compression_type: Some(if gzip {
            InputCompressionType::Gzip
        } else {
            InputCompressionType::None
        }),
        table_creation_parameters: TableCreationParameters {
            table_name: table.table_name,
            attribute_definitions: table.attribute_definitions,
            key_schema: table.key_schema,
            billing_mode: table.billing_mode,
            provisioned_throughput: table.provisioned_throughput,
            sse_specification: None,
            global_secondary_indexes: table.global_secondary_indexes,
            ..TableCreationParameters::default()
        },
    }
}

#[test]
fn importing_an_export_gives_the_same_table() {
    let clock = ManualClock::new(START_MICROS);
    for b in clocked_backends(&clock) {
        eprintln!("backend: {}", b.name);
        let root = tempfile::tempdir().unwrap();
        let db = open_at(b.backend.clone(), &clock, root.path());
        db.create_table(orders("Orders")).unwrap();
        enable_pitr(&db, "Orders");
        let mut model = Model::new();
        for r in 0..4u32 {
            clock.advance_secs(1);
            round(&db, &mut model, r);
        }
        let d = export(&db, "Orders", "shared", Some("x"), None).unwrap();
        let id = d.export_arn.rsplit('/').next().unwrap().to_owned();
        // The export's directory, and its data directory, both work as the prefix.
        for (target, prefix) in [
            ("Copy", format!("x/AWSDynamoDB/{id}/")),
            ("Copy2", format!("x/AWSDynamoDB/{id}/data/")),
        ] {
            let out = db
                .import_table(import_input(
                    orders(target),
                    "shared",
                    &prefix,
                    InputFormat::DynamodbJson,
                    true,
                ))
                .unwrap()
                .import_table_description;
            assert_eq!(out.import_status, ImportStatus::Completed, "{out:?}");
            assert_eq!(out.imported_item_count, model.len() as i64);
            assert_eq!(out.processed_item_count, model.len() as i64);
            assert_eq!(out.error_count, 0);
            assert!(out.processed_size_bytes > 0);
            assert!(out.import_arn.contains(&format!(":table/{target}/import/")));
            assert_eq!(out.table_creation_parameters.table_name, target);
            let t = db
                .describe_table(DescribeTableInput {
                    table_name: target.into(),
                })
                .unwrap()
                .table;
            assert_eq!(t.table_status, TableStatus::Active);
            assert_eq!(t.table_arn, out.table_arn);
            assert_eq!(
                sorted(scan_all(&db, target, None)),
                sorted(model.values().cloned())
            );
            db.wait_for_indexes().unwrap();
            assert_eq!(
                sorted(scan_all(&db, target, Some("ByStatus"))),
                sorted(model.values().filter(|i| i.contains_key("status")).cloned())
            );
            let again = db
                .describe_import(DescribeImportInput {
                    import_arn: out.import_arn.clone(),
                })
                .unwrap()
                .import_table_description;
            assert_eq!(again, out);
        }
        let listed = db.list_imports(ListImportsInput::default()).unwrap();
        assert_eq!(listed.import_summary_list.len(), 2);
        drop(db);
        let db = open_at(b.backend.clone(), &clock, root.path());
        let listed = db
            .list_imports(ListImportsInput {
                table_arn: Some("arn:aws:dynamodb:us-east-1:000000000000:table/Copy2".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(listed.import_summary_list.len(), 1);
        assert_eq!(
            listed.import_summary_list[0].import_status,
            ImportStatus::Completed
        );
        // An import into an existing table is refused before anything is read.
        let e = db
            .import_table(import_input(
                orders("Copy"),
                "shared",
                "x/",
                InputFormat::DynamodbJson,
                true,
            ))
            .unwrap_err();
        assert_eq!(e.exception_name(), "ResourceInUseException");
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Table `People` (id N, with GSI `ByCity` on city S).
fn people(name: &str) -> CreateTableInput {
    let mut t = CreateTableInput {
        table_name: name.into(),
        attribute_definitions: vec![
            def("id", ScalarAttributeType::N),
            def("city", ScalarAttributeType::S),
        ],
        key_schema: vec![hash("id")],
        billing_mode: Some(BillingMode::PayPerRequest),
        ..Default::default()
    };
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByCity".into(),
        key_schema: vec![hash("city")],
        projection: Projection {
            projection_type: Some(ProjectionType::KeysOnly),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t
}

fn get(db: &Database, table: &str, id: &str) -> Option<Item> {
    db.get_item(GetItemInput {
        table_name: table.into(),
        key: item(&[("id", n(id))]),
        ..Default::default()
    })
    .unwrap()
    .item
}

#[test]
fn csv_imports_type_the_keys_and_leave_the_rest_strings() {
    let root = tempfile::tempdir().unwrap();
    let db = Database::open(
        Arc::new(shale_engine::MemBackend::new()),
        options().with_export_dir(root.path()),
    )
    .unwrap();
    let bucket = root.path().join("csv-bucket");
    // Each file's first line is its header; a BOM, CRLF, quotes and a quoted newline.
    write(
        &bucket.join("people/part-1.csv"),
        "\u{feff}id,name,city,age\r\n1,Ann,Oslo,31\r\n2,\"Bo, Jr.\",Rome,\r\n3,\"Cy \"\"C\"\"\nSmith\",,7\r\n"
            .as_bytes(),
    );
    // Bad lines: a non-number key, a missing key, too many columns, a too-long line.
    let long = "x".repeat(IMPORT_LINE_BYTES_MAX + 10);
    write(
        &bucket.join("people/part-2.csv"),
        format!("city,id\nParis,4\nLyon,four\nNice,\nA,5,extra\n{long}\n\nBern,6\n").as_bytes(),
    );
    write(&bucket.join("elsewhere/part-3.csv"), b"id\n99\n");
    let out = db
        .import_table(import_input(
            people("People"),
            "csv-bucket",
            "people/part-",
            InputFormat::Csv,
            false,
        ))
        .unwrap()
        .import_table_description;
    assert_eq!(out.import_status, ImportStatus::Completed, "{out:?}");
    assert_eq!(out.imported_item_count, 5, "{out:?}");
    assert_eq!(out.error_count, 4, "{out:?}");
    assert_eq!(out.processed_item_count, 9, "{out:?}");
    assert_eq!(
        get(&db, "People", "1"),
        Some(item(&[
            ("id", n("1")),
            ("name", s("Ann")),
            ("city", s("Oslo")),
            ("age", s("31")),
        ]))
    );
    assert_eq!(
        get(&db, "People", "2"),
        Some(item(&[
            ("id", n("2")),
            ("name", s("Bo, Jr.")),
            ("city", s("Rome"))
        ]))
    );
    assert_eq!(
        get(&db, "People", "3"),
        Some(item(&[
            ("id", n("3")),
            ("name", s("Cy \"C\"\nSmith")),
            ("age", s("7")),
        ]))
    );
    assert_eq!(
        get(&db, "People", "4"),
        Some(item(&[("id", n("4")), ("city", s("Paris"))]))
    );
    assert!(get(&db, "People", "99").is_none(), "outside the prefix");

    // HeaderList (every line is data), another delimiter, gzip.
    write(&bucket.join("semi/a.csv.gz"), &gzip(b"10;Lima\n11;Kyiv\n"));
    let mut input = import_input(
        people("People2"),
        "csv-bucket",
        "semi/",
        InputFormat::Csv,
        true,
    );
    input.input_format_options = Some(InputFormatOptions {
        csv: Some(CsvOptions {
            delimiter: Some(";".into()),
            header_list: Some(vec!["id".into(), "city".into()]),
        }),
    });
    let out = db.import_table(input).unwrap().import_table_description;
    assert_eq!(
        (out.imported_item_count, out.error_count),
        (2, 0),
        "{out:?}"
    );
    assert_eq!(
        out.input_format_options
            .and_then(|o| o.csv)
            .and_then(|c| c.delimiter)
            .as_deref(),
        Some(";")
    );
    assert_eq!(
        get(&db, "People2", "11"),
        Some(item(&[("id", n("11")), ("city", s("Kyiv"))]))
    );
    db.wait_for_indexes().unwrap();
    assert_eq!(scan_all(&db, "People2", Some("ByCity")).len(), 2);

    let mut bad = import_input(
        people("People3"),
        "csv-bucket",
        "semi/",
        InputFormat::Csv,
        true,
    );
    bad.input_format_options = Some(InputFormatOptions {
        csv: Some(CsvOptions {
            delimiter: Some("x".into()),
            header_list: None,
        }),
    });
    let e = db.import_table(bad).unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");
    assert!(
        e.message().contains("inputFormatOptions.csv.delimiter"),
        "{}",
        e.message()
    );
}

/// TableCreationParameters' OnDemandThroughput shapes the imported table as CreateTable's
/// would; its VectorIndexes (not implemented) is refused before anything is read.
#[test]
fn import_table_creation_parameters_take_on_demand_maxima_and_refuse_vector_indexes() {
    let root = tempfile::tempdir().unwrap();
    let db = Database::open(
        Arc::new(shale_engine::MemBackend::new()),
        options().with_export_dir(root.path()),
    )
    .unwrap();
    write(&root.path().join("bkt/p/part-1.csv"), b"id,city\n1,Oslo\n");
    let maxima = OnDemandThroughput {
        max_read_request_units: Some(200),
        max_write_request_units: None,
    };
    let mut input = import_input(people("Capped"), "bkt", "p/", InputFormat::Csv, false);
    input.table_creation_parameters.on_demand_throughput = Some(maxima);
    let out = db.import_table(input).unwrap().import_table_description;
    assert_eq!(out.import_status, ImportStatus::Completed, "{out:?}");
    let t = db
        .describe_table(DescribeTableInput {
            table_name: "Capped".into(),
        })
        .unwrap()
        .table;
    assert_eq!(t.on_demand_throughput, Some(maxima));
    let mut input = import_input(people("Vectors"), "bkt", "p/", InputFormat::Csv, false);
    input.table_creation_parameters.vector_indexes = Some(serde::de::IgnoredAny);
    let e = db.import_table(input).unwrap_err();
    assert_eq!(
        e.message(),
        "Shale does not implement the VectorIndexes parameter of ImportTable yet"
    );
    assert_eq!(
        db.list_tables(ListTablesInput::default())
            .unwrap()
            .table_names,
        ["Capped"]
    );
}

#[test]
fn bad_json_lines_and_unreadable_files_are_counted_not_fatal() {
    let root = tempfile::tempdir().unwrap();
    let db = Database::open(
        Arc::new(shale_engine::MemBackend::new()),
        options().with_export_dir(root.path()),
    )
    .unwrap();
    let dir = root.path().join("b1/in");
    let big = format!(
        r#"{{"Item":{{"id":{{"N":"9"}},"v":{{"S":"{}"}}}}}}"#,
        "y".repeat(400 * 1024)
    );
    let lines = [
        r#"{"Item":{"id":{"N":"1"},"v":{"S":"one"}}}"#,
        "not json",
        r#"{"Item":{"id":{"S":"wrong type"}}}"#,
        r#"{"Item":{"v":{"S":"no key"}}}"#,
        r#"{"Item":{"id":{"N":"2"},"s":{"SS":[]}}}"#,
        r#"{"NotItem":{}}"#,
        "",
        &big,
        r#"{"Item":{"id":{"N":"3"},"city":{"N":"7"}}}"#,
        r#"{"Item":{"id":{"N":"1"},"v":{"S":"one again"}}}"#,
    ];
    write(&dir.join("a.json.gz"), &gzip(lines.join("\n").as_bytes()));
    // Not gzip at all: one error for the file.
    write(&dir.join("b.json.gz"), b"plain text");
    // A gzip stream cut short: what was read stays, the file is one error.
    let whole = gzip(br#"{"Item":{"id":{"N":"4"}}}"#);
    let mut cut = whole.clone();
    cut.extend_from_slice(&gzip(&vec![b'\n'; 100_000])[..40]);
    write(&dir.join("c.json.gz"), &cut);
    let out = db
        .import_table(import_input(
            people("Imported"),
            "b1",
            "in/",
            InputFormat::DynamodbJson,
            true,
        ))
        .unwrap()
        .import_table_description;
    assert_eq!(out.import_status, ImportStatus::Completed, "{out:?}");
    // Lines: 9 non-blank in a.json.gz, 1 in c.json.gz.
    assert_eq!(out.processed_item_count, 10, "{out:?}");
    // 1 (twice, the later wins) and 4 go in.
    assert_eq!(out.imported_item_count, 3, "{out:?}");
    // not json, wrong key type, no key, empty set, no Item, over 400 KB, mistyped GSI
    // key; b.json.gz; c.json.gz.
    assert_eq!(out.error_count, 9, "{out:?}");
    assert_eq!(
        get(&db, "Imported", "1"),
        Some(item(&[("id", n("1")), ("v", s("one again"))]))
    );
    assert!(get(&db, "Imported", "4").is_some());
    assert!(get(&db, "Imported", "9").is_none());
}

#[test]
fn an_import_without_files_fails_and_keeps_no_table() {
    let root = tempfile::tempdir().unwrap();
    let db = Database::open(
        Arc::new(shale_engine::MemBackend::new()),
        options().with_export_dir(root.path()),
    )
    .unwrap();
    std::fs::create_dir_all(root.path().join("empty")).unwrap();
    for (bucket, code) in [("empty", "NoFilesFound"), ("missing", "S3NoSuchBucket")] {
        let out = db
            .import_table(import_input(
                people("Never"),
                bucket,
                "",
                InputFormat::DynamodbJson,
                false,
            ))
            .unwrap()
            .import_table_description;
        assert_eq!(out.import_status, ImportStatus::Failed);
        assert_eq!(out.failure_code.as_deref(), Some(code));
        assert!(db
            .describe_table(DescribeTableInput {
                table_name: "Never".into()
            })
            .is_err());
        let again = db
            .describe_import(DescribeImportInput {
                import_arn: out.import_arn,
            })
            .unwrap();
        assert_eq!(
            again.import_table_description.import_status,
            ImportStatus::Failed
        );
    }
}

/// Every path below `dir`, for checking that nothing was written outside the root.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn buckets_and_prefixes_never_reach_outside_the_export_root() {
    let clock = ManualClock::new(START_MICROS);
    let b = &clocked_backends(&clock)[0];
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    write(
        &outer.path().join("secret/data.json"),
        br#"{"Item":{"id":{"N":"1"}}}"#,
    );
    let db = open_at(b.backend.clone(), &clock, &root);
    db.create_table(orders("Orders")).unwrap();
    enable_pitr(&db, "Orders");
    let before = tree(outer.path());
    for (bucket, prefix) in [
        ("..", None),
        ("a/b", None),
        ("/abs", None),
        ("ok-bucket", Some("../..")),
        ("ok-bucket", Some("a/../../b")),
        ("ok-bucket", Some("/etc")),
        ("ok-bucket", Some("a//b")),
        ("ok-bucket", Some("a\\..\\b")),
    ] {
        let e = export(&db, "Orders", bucket, prefix, None).unwrap_err();
        assert_eq!(
            e.exception_name(),
            "ValidationException",
            "{bucket} {prefix:?}"
        );
        let e = db
            .import_table(import_input(
                people("Stolen"),
                bucket,
                prefix.unwrap_or(""),
                InputFormat::DynamodbJson,
                false,
            ))
            .unwrap_err();
        assert_eq!(
            e.exception_name(),
            "ValidationException",
            "{bucket} {prefix:?}"
        );
    }
    assert_eq!(tree(outer.path()), before, "nothing written");
    assert!(db
        .describe_table(DescribeTableInput {
            table_name: "Stolen".into()
        })
        .is_err());
    // A symbolic link inside a bucket is not followed.
    #[cfg(unix)]
    {
        std::fs::create_dir_all(root.join("linked")).unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret"), root.join("linked/in")).unwrap();
        let out = db
            .import_table(import_input(
                people("Stolen"),
                "linked",
                "",
                InputFormat::DynamodbJson,
                false,
            ))
            .unwrap()
            .import_table_description;
        assert_eq!(out.import_status, ImportStatus::Failed, "{out:?}");
        assert_eq!(out.imported_item_count, 0);
    }
}

#[test]
fn export_errors_come_in_dynamodbs_order_with_its_text() {
    let clock = ManualClock::new(START_MICROS);
    let b = &clocked_backends(&clock)[0];
    let root = tempfile::tempdir().unwrap();
    let db = open_at(b.backend.clone(), &clock, root.path());
    db.create_table(orders("Orders")).unwrap();
    let e = export(&db, "Nope", "bkt", None, None).unwrap_err();
    assert_eq!(
        (e.exception_name(), e.message().as_str()),
        ("TableNotFoundException", "Table not found: Nope")
    );
    let e = export(&db, "Orders", "bkt", None, None).unwrap_err();
    assert_eq!(
        (e.exception_name(), e.message().as_str()),
        (
            "PointInTimeRecoveryUnavailableException",
            "Point in time recovery is not enabled for table 'Orders'"
        )
    );
    enable_pitr(&db, "Orders");
    let enabled_at = clock.now_micros();
    clock.advance_secs(5);
    for t in [enabled_at - 1_000_000, clock.now_micros() + 1_000_000] {
        let e = export(&db, "Orders", "bkt", None, Some(t)).unwrap_err();
        assert_eq!(
            (e.exception_name(), e.message().as_str()),
            ("InvalidExportTimeException", "Export Time is invalid")
        );
    }
    let e = export(&db, "Orders", "b", None, None).unwrap_err();
    assert_eq!(e.message(), "1 validation error detected: Value 'b' at 's3Bucket' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$");
    let e = db
        .export_table_to_point_in_time(ExportTableToPointInTimeInput {
            table_arn: "Orders".into(),
            s3_bucket: "bkt".into(),
            export_format: Some(ExportFormat::Ion),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(e, Error::NotImplemented { .. }), "{e}");
    let e = db
        .describe_export(DescribeExportInput {
            export_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/Orders/export/01700000000000-0000abcd".into(),
        })
        .unwrap_err();
    assert_eq!(e.exception_name(), "ExportNotFoundException");
    let e = db
        .describe_export(DescribeExportInput {
            export_arn: "garbage".into(),
        })
        .unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");
    let e = db
        .list_exports(ListExportsInput {
            max_results: Some(26),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");

    // Without an export directory both directions are refused, saying why.
    let plain = Database::open(Arc::new(shale_engine::MemBackend::new()), options()).unwrap();
    plain.create_table(orders("Orders")).unwrap();
    let e = export(&plain, "Orders", "bkt", None, None).unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");
    assert_eq!(e.message(), "ExportTableToPointInTime needs an export directory (DatabaseOptions::export_dir): shale-server keeps exports in <data-dir>/exports, and an in-memory server has none");
    let e = plain
        .import_table(import_input(
            people("Pxy"),
            "bkt",
            "",
            InputFormat::Csv,
            false,
        ))
        .unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");
    assert!(
        e.message()
            .starts_with("ImportTable needs an export directory"),
        "{e}"
    );
}

/// Regression: an import cut short by a crash (here: a failed sync poisons the engine
/// half-way, so the import can neither finish nor clean up) left its table ACTIVE with
/// part of the data after the next open. Now the open removes it and the import is
/// described as FAILED.
#[test]
fn an_import_interrupted_by_a_crash_leaves_no_table() {
    let root = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for i in 0..450u32 {
        lines.push_str(&format!(
            "{{\"Item\":{{\"id\":{{\"N\":\"{i}\"}},\"city\":{{\"S\":\"c{}\"}}}}}}\n",
            i % 7
        ));
    }
    write(&root.path().join("bucket/data/part.json"), lines.as_bytes());
    let clock = ManualClock::new(START_MICROS);
    let fault = FaultLsm::new();
    {
        let db = open_at(fault.open_with_clock(&clock), &clock, root.path());
        // Every write syncs its WAL; the 3rd import batch's sync fails.
        fault.fs.fail_nth_sync(3);
        let out = db.import_table(import_input(
            people("Half"),
            "bucket",
            "",
            InputFormat::DynamodbJson,
            false,
        ));
        // The poisoned engine fails the request (InternalServerError) mid-import.
        assert!(matches!(out, Err(Error::Internal(_))), "{out:?}");
        drop(db);
        fault.fs.crash();
    }
    let db = open_at(fault.open_with_clock(&clock), &clock, root.path());
    let listed = db.list_imports(ListImportsInput::default()).unwrap();
    assert_eq!(listed.import_summary_list.len(), 1);
    let import_arn = listed.import_summary_list[0].import_arn.clone();
    assert!(
        db.describe_table(DescribeTableInput {
            table_name: "Half".into()
        })
        .is_err(),
        "no half-imported table after the crash"
    );
    let d = db
        .describe_import(DescribeImportInput { import_arn })
        .unwrap()
        .import_table_description;
    assert_eq!(d.import_status, ImportStatus::Failed);
}
