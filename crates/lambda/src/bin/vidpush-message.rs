//! `vidpush-message`: the WebSocket API's message routes (`subscribe`, `unsubscribe`, `cancel`, `ping`, `$default`).

use vidpush_lambda::functions::{Route, serve};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    serve(Route::Message).await
}
