//! The Python tools that stand in for AWS here and check the template: moto (DynamoDB, S3 and
//! SQS in one local server), cfn-lint and the SAM CLI. They live in one virtual environment in
//! the user's cache, outside the repository and `target/`, so a clean clone reuses it; it is
//! made again whenever the pins below change.

use std::path::{Path, PathBuf};

use crate::process::{run, tool};

/// The pins, as pip reads them. moto 5.2.6 has DynamoDB transactions, S3 multipart with
/// ListParts and SQS dead-letter redrive; `sam validate --lint` runs offline in 1.170.
pub const PINS: &[&str] = &[
    "moto[server]==5.2.6",
    "cfn-lint==1.58.0",
    "aws-sam-cli==1.170.0",
];

/// The file inside the environment that records which pins it was made from.
const STAMP: &str = "vidpush-pins.txt";

/// The environment's programs.
pub struct AwsTools {
    /// The virtual environment's directory.
    venv: PathBuf,
}

impl AwsTools {
    /// The environment's Python, which runs moto (`crates/aws/src/testing/moto_server.py`).
    pub fn python(&self) -> PathBuf {
        self.bin("python")
    }

    /// `cfn-lint`.
    pub fn cfn_lint(&self) -> PathBuf {
        self.bin("cfn-lint")
    }

    /// `sam`.
    pub fn sam(&self) -> PathBuf {
        self.bin("sam")
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.venv.join("bin").join(name)
    }
}

/// `$XDG_CACHE_HOME/vidpush/aws-tools`, else `~/.cache/vidpush/aws-tools`, else under `target/`.
fn venv_dir(target: &Path) -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
    match cache {
        Some(cache) => cache.join("vidpush").join("aws-tools"),
        None => target.join("aws-tools"),
    }
}

/// The environment, made (about 80 s from PyPI) unless it exists with these pins.
pub fn ensure(target: &Path) -> crate::Result<AwsTools> {
    let venv = venv_dir(target);
    let tools = AwsTools { venv };
    let wanted = PINS.join("\n");
    let stamp = tools.venv.join(STAMP);
    if std::fs::read_to_string(&stamp).is_ok_and(|made| made == wanted)
        && tools.bin("moto_server").is_file()
        && tools.sam().is_file()
    {
        println!(
            "ok moto, cfn-lint and the SAM CLI in {}",
            tools.venv.display()
        );
        return Ok(tools);
    }
    println!(
        "installing {} into {} (about a minute and a half)",
        PINS.join(", "),
        tools.venv.display()
    );
    if tools.venv.exists() {
        std::fs::remove_dir_all(&tools.venv)
            .map_err(|e| format!("could not remove the old {}: {e}", tools.venv.display()))?;
    }
    run(
        tool("python3").args(["-m", "venv"]).arg(&tools.venv),
        "python3 -m venv (Python 3 with its venv module is needed for moto and the SAM CLI)",
    )?;
    run(
        tool(&tools.bin("pip").to_string_lossy())
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PINS),
        "pip install (moto, cfn-lint, the SAM CLI from PyPI)",
    )?;
    std::fs::write(&stamp, wanted)
        .map_err(|e| format!("could not write {}: {e}", stamp.display()))?;
    Ok(tools)
}
