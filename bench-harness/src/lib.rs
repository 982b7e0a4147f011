//! `shale-bench`: YCSB workloads A–F and storage-core micro benchmarks that measure
//! throughput and tail latency of Shale side by side with its peers.
//!
//! It drives any [`target::Target`] (Shale's LSM engine and table layer, fjall, redb,
//! RocksDB behind a feature, an in-memory ceiling, or any DynamoDB-compatible HTTP
//! endpoint) with YCSB's exact generators ([`generators`]), records per-op HdrHistograms
//! ([`measure`]), and writes a terminal table, JSON, Markdown and SVG plots ([`report`]).
//!
//! ```no_run
//! use shale_bench::cli;
//! let inv = cli::parse(vec!["ycsb".into(), "a".into(), "--targets".into(), "kv:memory".into()])?;
//! cli::execute(&inv)?;
//! # Ok::<(), shale_bench::cli::CliError>(())
//! ```
//!
//! It is not:
//! - a correctness test of the engines (it only counts errors; the engine's tests check
//!   behaviour);
//! - a distributed load generator: one process, threads only;
//! - a place for pass/fail performance thresholds: figures are reported, never asserted.

pub mod capacity_scenario;
pub mod cli;
pub mod generators;
pub mod kv_micro;
pub mod measure;
pub mod report;
pub mod rng;
pub mod runner;
pub mod server_cpu;
pub mod shale_lsm;
pub mod stream_lag;
pub mod target;
pub mod workload;
pub mod ycsb;
