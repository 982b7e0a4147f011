//! `--auto-scaling FILE`: auto scaling policies for the tables of a server, read once at
//! startup. In AWS these live in Application Auto Scaling, not DynamoDB's API; here
//! they are configuration, by table name (a table created later under that name is
//! scaled too). The file is JSON:
//!
//! ```json
//! {"Tables": {"Orders": {"Write": {"TargetUtilization": 70, "MinimumUnits": 5,
//!                                  "MaximumUnits": 500},
//!                        "Read":  {"TargetUtilization": 70, "MinimumUnits": 5,
//!                                  "MaximumUnits": 500, "DisableScaleIn": true},
//!                        "Indexes": {"ByStatus": {"Write": {"TargetUtilization": 70,
//!                                  "MinimumUnits": 5, "MaximumUnits": 100}}}}}}
//! ```
//!
//! Unknown fields are refused, so a misspelt key is an error, not a silent default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use shale_table::capacity::{AutoScaling, IndexScaling, TargetTracking};

/// The most bytes the file may have: policies for thousands of tables fit.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Why the file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AutoScalingConfigError {
    /// It could not be read.
    #[error("cannot read the auto scaling file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// It is larger than [`MAX_FILE_BYTES`].
    #[error("the auto scaling file {} is larger than {MAX_FILE_BYTES} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// It is not the JSON shape above.
    #[error("the auto scaling file {} is not valid: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where and why.
        #[source]
        source: serde_json::Error,
    },
    /// A policy is outside the limits (target 20–90 %, `1 <= min <= max`).
    #[error("the auto scaling file {} has a bad policy for table {table}: {source}", path.display())]
    Policy {
        /// The file.
        path: PathBuf,
        /// The table it names.
        table: String,
        /// What is wrong.
        #[source]
        source: Box<shale_table::Error>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct File {
    tables: BTreeMap<String, TablePolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct TablePolicy {
    #[serde(default)]
    read: Option<SidePolicy>,
    #[serde(default)]
    write: Option<SidePolicy>,
    /// By GSI name.
    #[serde(default)]
    indexes: BTreeMap<String, IndexPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct IndexPolicy {
    #[serde(default)]
    read: Option<SidePolicy>,
    #[serde(default)]
    write: Option<SidePolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct SidePolicy {
    target_utilization: f64,
    minimum_units: i64,
    maximum_units: i64,
    #[serde(default)]
    disable_scale_in: bool,
}

impl From<SidePolicy> for TargetTracking {
    fn from(p: SidePolicy) -> Self {
        TargetTracking {
            disable_scale_in: p.disable_scale_in,
            ..TargetTracking::new(p.target_utilization, p.minimum_units, p.maximum_units)
        }
    }
}

/// Reads and checks the policies in `path`.
///
/// # Errors
/// [`AutoScalingConfigError`]: unreadable, too large, not the shape, or a policy out of
/// its limits.
pub fn load(path: &Path) -> Result<BTreeMap<String, AutoScaling>, AutoScalingConfigError> {
    let read = |source| AutoScalingConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(read)?.len();
    if len > MAX_FILE_BYTES {
        return Err(AutoScalingConfigError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let text = std::fs::read(path).map_err(read)?;
    parse(path, &text)
}

fn parse(
    path: &Path,
    text: &[u8],
) -> Result<BTreeMap<String, AutoScaling>, AutoScalingConfigError> {
    let file: File =
        serde_json::from_slice(text).map_err(|source| AutoScalingConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
    let mut out = BTreeMap::new();
    for (table, p) in file.tables {
        let policy = AutoScaling {
            read: p.read.map(Into::into),
            write: p.write.map(Into::into),
            indexes: p
                .indexes
                .into_iter()
                .map(|(name, i)| {
                    let sides = IndexScaling {
                        read: i.read.map(Into::into),
                        write: i.write.map(Into::into),
                    };
                    (name, sides)
                })
                .collect(),
        };
        policy
            .validate()
            .map_err(|source| AutoScalingConfigError::Policy {
                path: path.to_path_buf(),
                table: table.clone(),
                source: Box::new(source),
            })?;
        out.insert(table, policy);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<BTreeMap<String, AutoScaling>, AutoScalingConfigError> {
        parse(Path::new("as.json"), text.as_bytes())
    }

    #[test]
    fn the_documented_shape_parses() {
        let p = parsed(
            r#"{"Tables": {"Orders": {"Write": {"TargetUtilization": 70, "MinimumUnits": 5,
               "MaximumUnits": 500}, "Read": {"TargetUtilization": 60, "MinimumUnits": 1,
               "MaximumUnits": 9, "DisableScaleIn": true}}}}"#,
        )
        .unwrap();
        let o = &p["Orders"];
        assert_eq!(o.write, Some(TargetTracking::new(70.0, 5, 500)));
        let r = o.read.unwrap();
        assert!(r.disable_scale_in);
        assert_eq!((r.target_percent, r.min_units, r.max_units), (60.0, 1, 9));
    }

    #[test]
    fn a_gsis_policy_parses() {
        let p = parsed(
            r#"{"Tables": {"T": {"Indexes": {"ByG": {"Write": {"TargetUtilization": 70,
               "MinimumUnits": 5, "MaximumUnits": 100}}}}}}"#,
        )
        .unwrap();
        let g = p["T"].indexes["ByG"];
        assert_eq!(g.write, Some(TargetTracking::new(70.0, 5, 100)));
        assert_eq!(p["T"].write, None);
    }

    #[test]
    fn misspellings_shapes_and_bad_policies_are_refused() {
        assert!(matches!(
            parsed(r#"{"Tables": {"T": {"Writes": {}}}}"#),
            Err(AutoScalingConfigError::Parse { .. })
        ));
        assert!(matches!(
            parsed(r#"{"Tables": []}"#),
            Err(AutoScalingConfigError::Parse { .. })
        ));
        let e = parsed(
            r#"{"Tables": {"T": {"Write": {"TargetUtilization": 10, "MinimumUnits": 1,
               "MaximumUnits": 2}}}}"#,
        )
        .unwrap_err();
        assert!(matches!(e, AutoScalingConfigError::Policy { ref table, .. } if table == "T"));
        assert!(matches!(
            load(Path::new("/nonexistent/as.json")),
            Err(AutoScalingConfigError::Read { .. })
        ));
    }
}
