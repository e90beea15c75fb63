//! `vidpush-message`: the WebSocket API's message routes (`subscribe`, `unsubscribe`, `cancel`, `ping`, `$default`).

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{LambdaEvent, service_fn};
use vidpush_lambda::functions::{AccessPolicy, WebSocketFunctions};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt().json().without_time().init();
    let resources = vidpush_aws::settings::Resources::from_env()?;
    let endpoint = vidpush_aws::sdk::Endpoint::from_env();
    let functions = WebSocketFunctions::new(&endpoint, resources, AccessPolicy::from_env()).await;
    let functions = &functions;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            Ok::<_, lambda_runtime::Error>(functions.message(&event.payload).await?)
        },
    ))
    .await
}
