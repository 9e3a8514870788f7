//! The OpenAPI 3.1 document of the service.

use std::sync::LazyLock;

use axum::body::Bytes;

/// The document, serialised once.
pub fn document_bytes() -> &'static Bytes {
    static BYTES: LazyLock<Bytes> =
        LazyLock::new(|| Bytes::from(serde_json::to_vec(&document()).unwrap_or_default()));
    &BYTES
}

/// The document.
pub fn document() -> serde_json::Value {
    serde_json::json!({"openapi": "3.1.0"})
}
