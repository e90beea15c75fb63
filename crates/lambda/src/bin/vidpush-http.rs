//! `vidpush-http`: the HTTP API (uploads to S3, jobs, the job list, results, thumbnails, videos,
//! connect-check).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    vidpush_lambda::http::serve().await
}
