//! What the suites share: the service in-process on a free loopback port.

use std::path::Path;

use entitle_http::auth::TokenSource;
use entitle_http::{AppState, RunningServer, ServerOptions};
use entitle_store::Store;

/// The service over `store`, with the tokens of the file at `tokens` and
/// `options`, listening on a free port of 127.0.0.1.
pub async fn serve(store: Store, tokens: &Path, options: ServerOptions) -> RunningServer {
    let tokens = TokenSource::from_path(tokens).expect("the test's token file reads");
    let state = AppState::new(store, tokens, options);
    entitle_http::spawn("127.0.0.1:0".parse().expect("an address"), state)
        .await
        .expect("the service starts on a free port")
}
