//! The load generator behind `hermod bench`: lean MQTT clients on [`hermod_codec`] and tokio,
//! with latencies recorded in HDR histograms.
//!
//! - [`conn`]: `hermod bench conn`, open many connections at a bounded rate, hold them for a
//!   while and report how many were established and how long each CONNACK took.
//! - [`flow`]: `hermod bench pub` and `hermod bench sub`, end-to-end latency and
//!   loss/duplicate/reorder counts.
//! - [`endpoint`]: the server address and the local addresses clients connect from.
//! - [`scenario`]: `hermod bench scenario`, fan-in, fan-out and point-to-point in one process.
//! - [`cpu`]: the tool's own CPU time.
//! - [`payload`]: the timestamp + sequence header of every benchmark payload.
//! - [`tracker`]: loss, duplicate and reorder counting per publisher.
//! - [`topic`]: topic templates (`%i`, `%c`).
//! - [`error`]: [`BenchError`], the typed errors of this crate.
//! - [`latency`]: percentiles of an HDR histogram as they go into a summary.
//!
//! Nothing the network sends can panic a client here: a malformed or unexpected packet is a
//! [`BenchError`], counted as a failure of that one connection.
#![forbid(unsafe_code)]

pub mod conn;
pub mod cpu;
pub mod endpoint;
pub mod error;
mod fast;
pub mod flow;
pub mod latency;
pub mod payload;
pub mod scenario;
pub mod session;
pub mod topic;
pub mod tracker;
mod wire;

pub use conn::{ConnOptions, ConnReport, run_conn};
pub use endpoint::Endpoint;
pub use error::BenchError;
pub use flow::{
    ClientOptions, Pace, PubOptions, PubReport, SubOptions, SubReport, run_pub, run_sub,
};
pub use latency::LatencySummary;
pub use scenario::{Scenario, ScenarioOptions, ScenarioProgress, ScenarioReport, run_scenario};
pub use session::SessionOptions;
