//! The simulated AWS stack as a benchmark's [`Home`]: the page on its own origin, served with
//! the `config.json` from the stack's outputs; its socket through the gateway playing API
//! Gateway, subscribing through the real message function; pushes as the worker makes them,
//! `POST /{stage}/@connections/{id}` signed with SigV4 and verified by the gateway.

use super::server::{Home, newest_connection};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::path::Path;
use std::time::SystemTime;

/// Shared with the end-to-end tests, which use parts a benchmark does not.
#[allow(dead_code)]
#[path = "../../../../tests/support/aws_stack.rs"]
mod aws_stack;

pub use aws_stack::{AwsStack, Delivery};

/// The service SigV4 signs `@connections` calls for.
const SERVICE: &str = "execute-api";

/// Starts the stack's launcher from `target/<profile>/` with the page in `dist`.
pub fn start(binary: &Path, dist: &Path) -> crate::Result<AwsStack> {
    Ok(AwsStack::start(binary, dist, Delivery::Faithful)?)
}

impl Home for AwsStack {
    fn name(&self) -> &'static str {
        "simulated AWS stack"
    }

    fn page_url(&self) -> String {
        AwsStack::page_url(self)
    }

    fn newest_connection(&self) -> crate::Result<String> {
        newest_connection(&self.gateway_data_dir().join("gateway.db"))
    }

    fn connection_url(&self, id: &str) -> String {
        format!("{}/@connections/{id}", self.output("ManagementEndpoint"))
    }

    /// SigV4 as the SDK signs it, with the stack's test credentials.
    fn authorization(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> crate::Result<Vec<(String, String)>> {
        let identity: Identity = Credentials::new(
            self.output("TestAccessKeyId"),
            self.output("TestSecretAccessKey"),
            None,
            None,
            "vidpush-aws-local",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.output("Region"))
            .name(SERVICE)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let request =
            SignableRequest::new(method, url, std::iter::empty(), SignableBody::Bytes(body))?;
        let (instructions, _) = sign(request, &params)?.into_parts();
        Ok(instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect())
    }
}
