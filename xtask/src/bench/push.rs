//! `cargo xtask bench push [--messages N] [--one-by-one K]`: `@connections` delivery the local
//! way (in process) beside the AWS way (the SDK, SigV4-signed HTTP to `/{stage}/@connections`)
//! through the same gateway to the same clients, in one run: latency one message at a time,
//! then throughput with many posters. The program is `crates/aws/examples/push_delivery.rs`.

use std::path::Path;

use crate::process::{run, tool};

/// Runs the benchmark.
pub fn run_bench(root: &Path, args: &[&str]) -> crate::Result {
    run(
        tool("cargo")
            .current_dir(root)
            .args(["run", "--profile", "native-release", "-p", "vidpush-aws"])
            .args(["--features", "testing", "--example", "push_delivery", "--"])
            .args(args),
        "the @connections delivery benchmark",
    )
}
