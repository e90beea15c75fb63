//! `cargo xtask publish-page --stack NAME`: puts the built page on a deployed stack's static
//! host. It reads the stack's outputs (`aws cloudformation describe-stacks`), writes the
//! page's `config.json` from them ([`ClientConfig::from_stack_outputs`]), uploads `dist/` to the
//! page bucket (`aws s3 sync --delete`), and has CloudFront drop its cached copies.
//!
//! It uses the AWS CLI, with the credentials and region `sam deploy` used.

use crate::app_build::{self, OnFailure};
use crate::process::run;
use serde::Deserialize;
use std::path::Path;
use std::process::Command;
use vidpush_protocol::ClientConfig;

const USAGE: &str = "usage: cargo xtask publish-page --stack NAME [--region REGION] [--no-build]
  Builds the page (unless --no-build), writes dist/config.json from the stack's outputs,
  uploads dist/ to its page bucket and invalidates its CloudFront distribution (AWS CLI).";

/// One of `describe-stacks`' outputs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    output_key: String,
    output_value: String,
}

/// The stack's outputs from `describe-stacks --query Stacks[0].Outputs` JSON.
fn parse_outputs(json: &str) -> crate::Result<Vec<(String, String)>> {
    let outputs: Vec<Output> = serde_json::from_str(json)
        .map_err(|e| format!("describe-stacks printed outputs that are not understood: {e}"))?;
    Ok(outputs
        .into_iter()
        .map(|o| (o.output_key, o.output_value))
        .collect())
}

fn output<'a>(outputs: &'a [(String, String)], key: &str) -> crate::Result<&'a str> {
    outputs
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
        .ok_or_else(|| format!("the stack has no {key} output; is it vidpush's stack?").into())
}

/// Runs the command.
pub fn run_publish(root: &Path, args: &[&str]) -> crate::Result {
    let mut stack = None;
    let mut region = None;
    let mut build = true;
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        match arg {
            "--stack" => stack = rest.next().copied(),
            "--region" => region = rest.next().copied(),
            "--no-build" => build = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    let stack = stack.ok_or(USAGE)?;
    let aws = |args: &[&str]| {
        let mut command = Command::new("aws");
        command.args(args);
        if let Some(region) = region {
            command.args(["--region", region]);
        }
        command
    };
    let described = aws(&[
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        stack,
        "--query",
        "Stacks[0].Outputs",
        "--output",
        "json",
    ])
    .output()
    .map_err(|e| {
        format!("could not run the AWS CLI ({e}); install it and sign in as for sam deploy")
    })?;
    if !described.status.success() {
        return Err(format!(
            "aws cloudformation describe-stacks failed: {}",
            String::from_utf8_lossy(&described.stderr).trim()
        )
        .into());
    }
    let outputs = parse_outputs(&String::from_utf8_lossy(&described.stdout))?;
    let config =
        ClientConfig::from_stack_outputs(outputs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    if build {
        app_build::release(root, OnFailure::FallBackToStable, &[])?;
    }
    let dist = root.join("dist");
    std::fs::write(
        dist.join("config.json"),
        serde_json::to_string_pretty(&config)? + "\n",
    )?;
    println!("dist/config.json: {}", serde_json::to_string(&config)?);
    let bucket = format!("s3://{}", output(&outputs, "PageBucketName")?);
    let dist_arg = dist.display().to_string();
    run(
        &mut aws(&["s3", "sync", &dist_arg, &bucket, "--delete"]),
        "aws s3 sync",
    )?;
    let distribution = output(&outputs, "PageDistributionId")?;
    run(
        &mut aws(&[
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            distribution,
            "--paths",
            "/*",
        ]),
        "aws cloudfront create-invalidation",
    )?;
    println!("the page is at {}", output(&outputs, "PageUrl")?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_stacks_outputs_become_the_pages_config() {
        let json = r#"[
            {"OutputKey": "PageUrl", "OutputValue": "https://d1.cloudfront.net", "Description": "Open this"},
            {"OutputKey": "WebSocketUrl", "OutputValue": "wss://a1.execute-api.eu-west-1.amazonaws.com/prod"},
            {"OutputKey": "ApiUrl", "OutputValue": "https://b2.execute-api.eu-west-1.amazonaws.com"}
        ]"#;
        let outputs = parse_outputs(json).unwrap();
        let config =
            ClientConfig::from_stack_outputs(outputs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .unwrap();
        assert_eq!(
            serde_json::to_value(&config).unwrap(),
            serde_json::json!({
                "gatewayUrl": "wss://a1.execute-api.eu-west-1.amazonaws.com/prod",
                "apiUrl": "https://b2.execute-api.eu-west-1.amazonaws.com"
            })
        );
        assert_eq!(
            output(&outputs, "PageUrl").unwrap(),
            "https://d1.cloudfront.net"
        );
        assert!(parse_outputs("{}").is_err());
    }
}
