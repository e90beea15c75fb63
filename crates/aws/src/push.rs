//! [`Push`] through API Gateway's `@connections` management API with
//! `aws-sdk-apigatewaymanagement`: SigV4-signed `POST /{stage}/@connections/{id}`, the error
//! kind read from `x-amzn-ErrorType`. The same client talks to a real API Gateway and to the
//! local gateway in AWS mode.

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::error::DisplayErrorContext;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use vidpush_protocol::limits::MAX_MESSAGE_BYTES;
use vidpush_server::ports::{Push, PushError};

/// `@connections` through the AWS SDK.
#[derive(Clone)]
pub struct ApiGatewayPush {
    /// A client whose endpoint is the API's management URL, stage included.
    client: Client,
}

impl ApiGatewayPush {
    /// A push client for the API at `endpoint`: `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`
    /// on AWS (inside a WebSocket function, `https://{domainName}/{stage}` from the request),
    /// `http://127.0.0.1:{port}/{stage}` for the local gateway in AWS mode. The SDK's default
    /// endpoint has neither the API id nor the stage, so one must be given.
    pub fn new(config: &aws_config::SdkConfig, endpoint: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(config)
            .endpoint_url(endpoint)
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }
}

#[async_trait]
impl Push for ApiGatewayPush {
    async fn post(&self, connection: &str, message: String) -> Result<(), PushError> {
        let size = message.len();
        match self
            .client
            .post_to_connection()
            .connection_id(connection)
            .data(Blob::new(message.into_bytes()))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => match error.as_service_error() {
                Some(kind) if kind.is_gone_exception() => Err(PushError::Gone),
                Some(kind) if kind.is_payload_too_large_exception() => Err(PushError::TooLarge {
                    size,
                    max: MAX_MESSAGE_BYTES,
                }),
                _ => Err(PushError::Failed(DisplayErrorContext(error).to_string())),
            },
        }
    }
}
