//! hyper answers a request it cannot parse (a URI over 64 KiB, too many or too large headers,
//! a malformed request line) itself, with an empty body, before any of pgmond's code runs.
//! Clients of the API expect `{"detail": ...}` on every error, so the connection's writer spots
//! such an answer (an error status with `content-length: 0`, which pgmond's own error answers
//! never have) and sends the same status with a JSON body instead. hyper closes the connection
//! after these answers, so nothing follows them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub struct JsonCannedErrors<S> {
    inner: S,
    /// The JSON answer still to send, and how much of it is sent.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> JsonCannedErrors<S> {
    pub fn new(inner: S) -> JsonCannedErrors<S> {
        JsonCannedErrors {
            inner,
            pending: None,
        }
    }
}

/// The JSON answer for a bodiless error head written by hyper, or `None` for anything else.
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let (head, _) = text.split_once("\r\n\r\n")?;
    let status_line = head.lines().next()?;
    let code: u16 = status_line
        .strip_prefix("HTTP/1.1 ")?
        .get(..3)?
        .parse()
        .ok()?;
    let bodiless = head
        .lines()
        .skip(1)
        .any(|l| l.eq_ignore_ascii_case("content-length: 0"));
    if !(400..600).contains(&code) || !bodiless {
        return None;
    }
    let reason = axum::http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let body = serde_json::json!({ "detail": reason }).to_string();
    Some(
        format!(
            "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<S: AsyncWrite + Unpin> JsonCannedErrors<S> {
    /// Sends what is left of a replacement answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, sent)) = &mut self.pending {
            if *sent == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *sent += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonCannedErrors<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonCannedErrors<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        // hyper writes a bodiless head in one call (vectored writes are off for this stream).
        if buf.starts_with(b"HTTP/1.1 ")
            && let Some(answer) = replacement(buf)
        {
            this.pending = Some((answer, 0));
            ready!(this.poll_pending(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    #[test]
    /// hyper's bodiless error heads get a JSON body with the same status; answers with a body,
    /// and successes, are left alone.
    fn replaces_only_bodiless_errors() {
        let canned =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(replacement(canned).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(out.ends_with(r#"{"detail":"Request Header Fields Too Large"}"#));
        assert!(out.contains("content-type: application/json\r\n"));
        let ours = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n";
        assert!(replacement(ours).is_none());
        assert!(replacement(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
