//! DescribeTable's full shape (issue 11): BillingModeSummary's
//! LastUpdateToPayPerRequestDateTime, ProvisionedThroughput's last increase and decrease
//! times, TableClassSummary, SSEDescription and WarmThroughput, kept across a reopen.

mod support;

use shale_table::*;
use support::*;

fn describe(db: &Database, name: &str) -> TableDescription {
    db.describe_table(DescribeTableInput {
        table_name: name.into(),
    })
    .unwrap()
    .table
}

fn throughput(r: i64, w: i64) -> Option<ProvisionedThroughput> {
    Some(ProvisionedThroughput {
        read_capacity_units: r,
        write_capacity_units: w,
    })
}

#[test]
fn describe_table_reports_history_class_encryption_and_warm_throughput() {
    let fault = FaultLsm::new();
    {
        let db = Database::open(fault.open(), options()).unwrap();
        let mut t = simple_table("OnDemand", None);
        t.table_class = Some(TableClass::StandardInfrequentAccess);
        t.sse_specification = Some(SseSpecification {
            enabled: Some(true),
            sse_type: Some("KMS".into()),
            kms_master_key_id: Some("alias/my-key".into()),
        });
        db.create_table(t).unwrap();
        let d = describe(&db, "OnDemand");
        let created = d.creation_date_time;
        assert_eq!(
            d.billing_mode_summary
                .unwrap()
                .last_update_to_pay_per_request_date_time,
            Some(created)
        );
        assert_eq!(
            d.table_class_summary.unwrap().table_class,
            TableClass::StandardInfrequentAccess
        );
        let sse = d.sse_description.unwrap();
        assert_eq!(
            (sse.status.as_str(), sse.sse_type),
            ("ENABLED", SseType::Kms)
        );
        assert_eq!(
            sse.kms_master_key_arn.as_deref(),
            Some("arn:aws:kms:us-east-1:000000000000:alias/my-key")
        );
        let warm = d.warm_throughput.unwrap();
        assert!(warm.read_units_per_second >= 3000 && warm.write_units_per_second >= 1000);
        assert_eq!(warm.status, "ACTIVE");

        // A provisioned table: increase, then decrease; SSE off again.
        let mut p = simple_table("Provisioned", None);
        p.billing_mode = Some(BillingMode::Provisioned);
        p.provisioned_throughput = throughput(5, 5);
        db.create_table(p).unwrap();
        let plain = describe(&db, "Provisioned");
        assert_eq!(plain.table_class_summary, None);
        assert_eq!(plain.sse_description, None);
        assert_eq!(plain.provisioned_throughput.last_increase_date_time, None);
        let update = |t: Option<ProvisionedThroughput>| {
            db.update_table(UpdateTableInput {
                table_name: "Provisioned".into(),
                provisioned_throughput: t,
                ..Default::default()
            })
            .unwrap()
        };
        update(throughput(10, 5));
        let d = describe(&db, "Provisioned");
        assert!(d.provisioned_throughput.last_increase_date_time.is_some());
        assert_eq!(d.provisioned_throughput.last_decrease_date_time, None);
        update(throughput(10, 2));
        let d = describe(&db, "Provisioned");
        assert!(d.provisioned_throughput.last_decrease_date_time.is_some());
        assert_eq!(d.provisioned_throughput.number_of_decreases_today, 1);
        db.update_table(UpdateTableInput {
            table_name: "OnDemand".into(),
            sse_specification: Some(SseSpecification {
                enabled: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();
        db.backend().close().unwrap();
    }
    let db = Database::open(fault.open(), options()).unwrap();
    let d = describe(&db, "OnDemand");
    assert_eq!(
        d.sse_description, None,
        "turned off, and kept off across the reopen"
    );
    assert_eq!(
        d.table_class_summary.unwrap().table_class,
        TableClass::StandardInfrequentAccess
    );
    let p = describe(&db, "Provisioned");
    assert!(p.provisioned_throughput.last_increase_date_time.is_some());
    assert!(p.provisioned_throughput.last_decrease_date_time.is_some());
}
