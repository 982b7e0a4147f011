//! Tags: TagResource, UntagResource and ListTagsOfResource on table ARNs, on both
//! backends, with DynamoDB's limits and error texts; tags survive a crash and reopen of the LSM,
//! and DeleteTable takes them with it.

mod support;

use shale_table::*;
use support::*;

const ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/Music";

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: Some(value.into()),
    }
}

fn tag_all(db: &Database, arn: &str, tags: Vec<Tag>) -> Result<TagResourceOutput, Error> {
    db.tag_resource(TagResourceInput {
        resource_arn: arn.into(),
        tags: Some(tags),
    })
}

fn untag(db: &Database, keys: &[&str]) -> Result<UntagResourceOutput, Error> {
    db.untag_resource(UntagResourceInput {
        resource_arn: ARN.into(),
        tag_keys: Some(keys.iter().map(|k| k.to_string()).collect()),
    })
}

fn list(db: &Database, arn: &str) -> Result<Vec<(String, String)>, Error> {
    let out = db.list_tags_of_resource(ListTagsOfResourceInput {
        resource_arn: arn.into(),
        next_token: None,
    })?;
    assert_eq!(out.next_token, None, "every tag fits in one page");
    Ok(out
        .tags
        .into_iter()
        .map(|t| (t.key, t.value.expect("listed tags have values")))
        .collect())
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn validation(e: Error) -> String {
    assert_eq!(e.exception_name(), "ValidationException", "{e}");
    e.message()
}

#[test]
fn tag_overwrite_list_and_untag() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Music", None)).unwrap();
        assert_eq!(list(&db, ARN).unwrap(), vec![]);
        tag_all(&db, ARN, vec![tag("team", "storage"), tag("env", "test")]).unwrap();
        tag_all(&db, ARN, vec![tag("env", "prod"), tag("empty", "")]).unwrap();
        assert_eq!(
            list(&db, ARN).unwrap(),
            pairs(&[("empty", ""), ("env", "prod"), ("team", "storage")]),
            "sorted by key; an existing key's value is replaced"
        );
        untag(&db, &["team", "not-there"]).unwrap();
        assert_eq!(
            list(&db, ARN).unwrap(),
            pairs(&[("empty", ""), ("env", "prod")])
        );
        untag(&db, &["empty", "env"]).unwrap();
        assert_eq!(list(&db, ARN).unwrap(), vec![]);
        // Unicode letters and the allowed punctuation; lengths count characters.
        let key = "ключ".repeat(32);
        let value = "é".repeat(TAG_VALUE_CHARS_MAX);
        tag_all(&db, ARN, vec![tag(&key, &value), tag("a b_.:/=+-@", "x")]).unwrap();
        assert_eq!(list(&db, ARN).unwrap().len(), 2);
    });
}

#[test]
fn fifty_tags_and_no_more() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Music", None)).unwrap();
        let many =
            |from: usize, to: usize| (from..to).map(|i| tag(&format!("k{i:02}"), "v")).collect();
        tag_all(&db, ARN, many(0, 30)).unwrap();
        tag_all(&db, ARN, many(20, TAGS_PER_RESOURCE_MAX)).unwrap();
        assert_eq!(list(&db, ARN).unwrap().len(), TAGS_PER_RESOURCE_MAX);
        // Overwriting existing keys at the limit is fine; one more key is not.
        tag_all(&db, ARN, many(0, 10)).unwrap();
        let too_many = "Number of Tags exceed the current limit for the provided ResourceArn";
        assert_eq!(
            validation(tag_all(&db, ARN, vec![tag("extra", "v")]).unwrap_err()),
            too_many
        );
        assert_eq!(
            list(&db, ARN).unwrap().len(),
            TAGS_PER_RESOURCE_MAX,
            "nothing applied"
        );
        untag(&db, &["k00"]).unwrap();
        tag_all(&db, ARN, vec![tag("extra", "v")]).unwrap();
        let keys: Vec<String> = (0..51).map(|i| format!("u{i}")).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert_eq!(validation(untag(&db, &keys).unwrap_err()), too_many);
    });
}

#[test]
fn bad_requests_are_validation_errors() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Music", None)).unwrap();
        let err = |tags: Vec<Tag>| validation(tag_all(&db, ARN, tags).unwrap_err());
        let long_key = "k".repeat(TAG_KEY_CHARS_MAX + 1);
        assert_eq!(
            err(vec![tag(&long_key, "v")]),
            format!("The Tag Key provided is invalid, Key: {long_key}")
        );
        assert_eq!(
            err(vec![tag("", "v")]),
            "The Tag Key provided is invalid, Key: "
        );
        assert_eq!(
            err(vec![tag("a#b", "v")]),
            "The Tag Key provided is invalid, Key: a#b"
        );
        let long_value = "v".repeat(TAG_VALUE_CHARS_MAX + 1);
        assert_eq!(
            err(vec![tag("k", &long_value)]),
            format!("The Tag Value provided is invalid, Value: {long_value}")
        );
        assert_eq!(
            err(vec![tag("k", "<>")]),
            "The Tag Value provided is invalid, Value: <>"
        );
        let no_value = Tag {
            key: "k".into(),
            value: None,
        };
        assert_eq!(
            err(vec![no_value]),
            "The Tag Value provided is invalid, Value: null"
        );
        assert_eq!(
            err(vec![tag("aws:createdBy", "me")]),
            "Tag Key cannot be prefixed with aws:, Key: aws:createdBy"
        );
        assert_eq!(
            err(vec![tag("ok", "1"), tag("ok", "2")]),
            "Duplicate Tag Keys provided as input: Duplicate Tag Key found ok"
        );
        assert_eq!(
            err(vec![]),
            "Atleast one Tag needs to be provided as Input."
        );
        assert_eq!(
            validation(untag(&db, &[]).unwrap_err()),
            "Atleast one Tag Key needs to be provided as Input."
        );
        assert_eq!(
            validation(untag(&db, &["aws:x"]).unwrap_err()),
            "Tag Key cannot be prefixed with aws:, Key: aws:x"
        );
        let missing = db
            .tag_resource(TagResourceInput {
                resource_arn: ARN.into(),
                tags: None,
            })
            .unwrap_err();
        assert_eq!(
            validation(missing),
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"
        );
        assert_eq!(
            list(&db, ARN).unwrap(),
            vec![],
            "no failed request applied anything"
        );
        for arn in [
            "Music",
            "a:b:c:d:e:f/g",
            "arn:aws:dynamodb:us-east-1:000000000000:table/ab",
            "arn:aws:dynamodb:eu-west-1:000000000000:table/Music",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/index/ByX",
            "arn:aws:s3:us-east-1:000000000000:table/Music",
        ] {
            assert_eq!(
                validation(list(&db, arn).unwrap_err()),
                format!("Invalid TableArn: Invalid ResourceArn provided as input {arn}")
            );
        }
    });
}

#[test]
fn unknown_tables_are_not_found() {
    for_each_backend(|_, db| {
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/Nope";
        let expected = format!("Requested resource not found: ResourcArn: {arn} not found");
        for e in [
            list(&db, arn).unwrap_err(),
            tag_all(&db, arn, vec![tag("k", "v")]).unwrap_err(),
            db.untag_resource(UntagResourceInput {
                resource_arn: arn.into(),
                tag_keys: Some(vec!["k".into()]),
            })
            .unwrap_err(),
        ] {
            assert_eq!(e.exception_name(), "ResourceNotFoundException");
            assert_eq!(e.message(), expected);
        }
    });
}

#[test]
fn delete_table_takes_its_tags() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Music", None)).unwrap();
        tag_all(&db, ARN, vec![tag("env", "prod")]).unwrap();
        db.delete_table(DeleteTableInput {
            table_name: "Music".into(),
        })
        .unwrap();
        let e = list(&db, ARN).unwrap_err();
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
        // The record went in DeleteTable's batch (docs/format/catalog.md: 0u32, 'G', name).
        let key = [&[0, 0, 0, 0, b'G'][..], b"Music"].concat();
        assert_eq!(db.backend().get(&key, None).unwrap(), None);
        db.create_table(simple_table("Music", None)).unwrap();
        assert_eq!(
            list(&db, ARN).unwrap(),
            vec![],
            "a new table of the same name"
        );
    });
}

#[test]
fn tags_survive_reopen() {
    let lsm = FaultLsm::new();
    {
        let db = Database::open(lsm.open(), options()).unwrap();
        db.create_table(simple_table("Music", None)).unwrap();
        db.create_table(simple_table("Other", None)).unwrap();
        tag_all(&db, ARN, vec![tag("env", "prod"), tag("team", "storage")]).unwrap();
        untag(&db, &["team"]).unwrap();
        // Acknowledged tag changes are durable: they survive losing unsynced data.
        drop(db);
        lsm.fs.crash();
    }
    let db = Database::open(lsm.open(), options()).unwrap();
    assert_eq!(list(&db, ARN).unwrap(), pairs(&[("env", "prod")]));
    let other = ARN.replace("Music", "Other");
    assert_eq!(list(&db, &other).unwrap(), vec![]);
}

#[test]
fn create_table_applies_its_tags_and_refuses_bad_ones() {
    for_each_backend(|_, db| {
        let mut t = simple_table("Music", None);
        t.tags = Some(vec![tag("team", "storage"), tag("env", "test")]);
        db.create_table(t).unwrap();
        assert_eq!(
            list(&db, ARN).unwrap(),
            pairs(&[("env", "test"), ("team", "storage")])
        );
        let mut bad = simple_table("Other", None);
        bad.tags = Some(vec![tag("aws:owner", "me")]);
        let e = validation(db.create_table(bad).unwrap_err());
        assert_eq!(e, "Tag Key cannot be prefixed with aws:, Key: aws:owner");
        assert!(
            db.describe_table(DescribeTableInput {
                table_name: "Other".into()
            })
            .is_err(),
            "a refused CreateTable creates nothing"
        );
    });
}
