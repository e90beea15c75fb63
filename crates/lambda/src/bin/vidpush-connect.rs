//! `vidpush-connect`: the WebSocket API's `$connect` function.

use vidpush_lambda::functions::{Route, serve};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    serve(Route::Connect).await
}
