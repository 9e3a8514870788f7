//! Problems for the errors hyper answers itself. A request hyper cannot
//! parse never reaches the router: hyper writes a bare head (`400`, `414`
//! URI too long, `431` headers too large; `content-length: 0`, no body) and
//! closes the connection, with no hook to change it. [`ProblemIo`] wraps a
//! connection's socket and writes a problem+json response in place of that
//! head. It recognises it exactly: one of those statuses, a head alone with
//! `content-length: 0`, and no `x-request-id` (every response of the router
//! has one).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::problem::{self, Problem};

/// A socket whose hyper-made error heads are replaced by problems.
#[derive(Debug)]
pub(crate) struct ProblemIo<S> {
    inner: S,
    replacing: Option<Replacement>,
}

/// A problem response being written in place of hyper's head.
#[derive(Debug)]
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    /// The length of hyper's head: reported written once the problem is.
    replaced: usize,
}

impl<S> ProblemIo<S> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            replacing: None,
        }
    }
}

/// The status of `buf` if it is one of hyper's own error heads.
fn bare_error(buf: &[u8]) -> Option<StatusCode> {
    let status = match buf.strip_prefix(b"HTTP/1.1 ")?.get(..4)? {
        b"400 " => StatusCode::BAD_REQUEST,
        b"414 " => StatusCode::URI_TOO_LONG,
        b"431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        _ => return None,
    };
    if buf.len() > 1024 {
        return None;
    }
    let head = std::str::from_utf8(buf).ok()?.to_ascii_lowercase();
    let alone = head.find("\r\n\r\n")? + 4 == head.len();
    (alone && head.contains("\r\ncontent-length: 0\r\n") && !head.contains("\r\nx-request-id:"))
        .then_some(status)
}

/// The problem response for `status`, keeping hyper's other headers
/// (`date`) and closing the connection, as hyper does.
fn problem_response(status: StatusCode, head: &[u8]) -> Vec<u8> {
    let (kind, detail) = match status {
        StatusCode::URI_TOO_LONG => (
            problem::URI_TOO_LONG,
            "the request target is longer than the server accepts (64 KiB)",
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            problem::HEADERS_TOO_LARGE,
            "the request's headers are larger, or more, than the server accepts",
        ),
        _ => (
            problem::BAD_REQUEST,
            "the request is not valid HTTP/1.1 (request line, header or framing)",
        ),
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::info!(status = status.as_u16(), %request_id, "refused a request that does not parse");
    let mut problem = Problem::new(kind, detail);
    problem.request_id = Some(request_id.clone());
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut out = String::new();
    out.push_str(lines.next().unwrap_or("HTTP/1.1 400 Bad Request"));
    out.push_str("\r\n");
    for line in lines.filter(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or("").trim();
        if !(name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("connection"))
        {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!(
        "content-type: {}\r\ncontent-length: {}\r\nx-request-id: {request_id}\r\nconnection: close\r\n\r\n",
        problem::PROBLEM_JSON,
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> ProblemIo<S> {
    /// Writes the replacement under way; `Ready(Ok(n))` with hyper's head
    /// length once it is all written.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some(r) = self.replacing.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while let Some(unwritten) = r.bytes.get(r.written..).filter(|b| !b.is_empty()) {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, unwritten))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            r.written += n;
        }
        let replaced = r.replaced;
        self.replacing = None;
        Poll::Ready(Ok(replaced))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_none()
            && let Some(status) = bare_error(buf)
        {
            this.replacing = Some(Replacement {
                bytes: problem_response(status, buf),
                written: 0,
                replaced: buf.len(),
            });
        }
        if this.replacing.is_some() {
            return this.poll_replacement(cx);
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut filled = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (filled.next(), filled.next())
            && (this.replacing.is_some() || bare_error(only).is_some())
        {
            return Pin::new(this).poll_write(cx, only);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.replacing.is_some() {
            ready!(this.poll_replacement(cx))?;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.replacing.is_some() {
            ready!(this.poll_replacement(cx))?;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_hypers_bare_heads() {
        let date = "date: Tue, 01 Dec 2026 08:00:00 GMT\r\n";
        for (code, status) in [
            ("400 Bad Request", StatusCode::BAD_REQUEST),
            ("414 URI Too Long", StatusCode::URI_TOO_LONG),
            (
                "431 Request Header Fields Too Large",
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ),
        ] {
            let head = format!("HTTP/1.1 {code}\r\ncontent-length: 0\r\n{date}\r\n");
            assert_eq!(bare_error(head.as_bytes()), Some(status), "{head}");
        }
        for other in [
            format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-request-id: a\r\n{date}\r\n"
            ),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n{date}\r\n"),
            format!("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n{date}\r\n"),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n{date}\r\n{{}}"),
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n".to_owned(),
        ] {
            assert_eq!(bare_error(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn the_replacement_is_a_problem_that_closes() {
        let head =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let text = String::from_utf8(problem_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            head,
        ))
        .unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(head.contains("\r\ndate: x\r\n"), "{head}");
        assert!(head.contains("\r\nconnection: close"), "{head}");
        assert!(!head.contains("content-length: 0"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"], 431);
        assert_eq!(problem["type"], "urn:entitle:problem:headers-too-large");
        assert!(head.contains(problem["request_id"].as_str().unwrap()));
    }
}
