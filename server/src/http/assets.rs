//! The wasm client's files (`web/pkg`, and its threaded build
//! `web/pkg-threads`), precompressed.
//!
//! `scripts/build-wasm` writes a gzip copy (`<file>.gz`) next to each file
//! of the contributor client. A request for `/pkg/<file>` (or
//! `/pkg-threads/<file>`) whose
//! `Accept-Encoding` allows gzip gets that copy with `Content-Encoding:
//! gzip` and the original file's content type (so `application/wasm` still
//! streams into `WebAssembly.instantiateStreaming`); any other request gets
//! the file itself. Both carry `Vary: Accept-Encoding`. A copy older than
//! its file (a rebuild that did not rewrite it) is never served.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{self, ContentEncoding, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use super::allow;

/// The directory the wasm client's builds lie in (`<web_dir>`): the route
/// names which one (`pkg` or `pkg-threads`).
#[derive(Debug, Clone)]
pub struct PkgDir(pub PathBuf);

/// The route of the wasm client's files: the single-threaded and the
/// threaded build (their deeper `snippets/` are served as static files).
pub const PKG_ROUTE: &str = "/{dir:pkg|pkg-threads}/{file}";

/// Whether an `Accept-Encoding` value allows `coding` (RFC 9110 §12.5.3:
/// listed, or `*`, with a non-zero weight; an explicit `q=0` refuses it).
pub fn accepts(accept_encoding: &str, coding: &str) -> bool {
    let mut named = None;
    let mut star = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let token = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if token.eq_ignore_ascii_case(coding) {
            named = Some(q > 0.0);
        } else if token == "*" {
            star = Some(q > 0.0);
        }
    }
    named.or(star).unwrap_or(false)
}

/// A plain file name: letters, digits, `.`, `_`, `-`, not starting with a dot.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `GET`/`HEAD /pkg/{file}` and `/pkg-threads/{file}`, see the module
/// documentation.
pub async fn pkg_file(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    web_dir: web::Data<PkgDir>,
) -> HttpResponse {
    let (dir, name) = path.into_inner();
    if !matches!(dir.as_str(), "pkg" | "pkg-threads") || !plain_name(&name) || name.ends_with(".gz")
    {
        return allow::fallback(req).await;
    }
    let dir = web_dir.0.join(dir);
    let path = dir.join(&name);
    let gz = dir.join(format!("{name}.gz"));
    let fresh_gz = match (modified(&path), modified(&gz)) {
        (Some(file), Some(copy)) => copy >= file,
        _ => false,
    };
    let wants_gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| accepts(v, "gzip"));
    let opened = if fresh_gz && wants_gzip {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        NamedFile::open_async(&gz).await.map(|f| {
            f.set_content_type(actix_files::file_extension_to_mime(ext))
                .set_content_encoding(ContentEncoding::Gzip)
                .disable_content_disposition()
        })
    } else {
        NamedFile::open_async(&path).await
    };
    match opened {
        Ok(f) => {
            let mut resp = f.into_response(&req);
            if fresh_gz {
                resp.headers_mut()
                    .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            }
            resp
        }
        Err(_) => allow::fallback(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_parsed_with_weights() {
        assert!(accepts("gzip, deflate, br, zstd", "gzip"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5", "gzip"));
        assert!(accepts("*", "gzip"));
        assert!(!accepts("gzip;q=0", "gzip"));
        assert!(
            !accepts("gzip; q=0.0, *", "gzip"),
            "named refusal wins over *"
        );
        assert!(!accepts("*;q=0", "gzip"));
        assert!(!accepts("br, deflate", "gzip"));
        assert!(!accepts("", "gzip"));
        assert!(!accepts("identity", "gzip"));
    }

    #[test]
    fn only_plain_names() {
        assert!(plain_name("cipherpool_client_wasm_bg.wasm"));
        for bad in ["", ".hidden", "a/b", "..", "a b", "a%2Fb", &"x".repeat(129)] {
            assert!(!plain_name(bad), "{bad:?}");
        }
    }
}
