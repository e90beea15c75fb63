//! `vidpush-disconnect`: the WebSocket API's `$disconnect` function.

use vidpush_lambda::functions::{Route, serve};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    serve(Route::Disconnect).await
}
