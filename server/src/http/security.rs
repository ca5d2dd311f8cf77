//! Security headers on every answer: a Content-Security-Policy that allows only the app's own
//! scripts (plus the wasm it compiles, MapLibre's blob: workers and, on pages, Leptos's inline
//! hydration script by its per-request nonce), no framing, no MIME sniffing.
//!
//! CORS stays closed: no `Access-Control-Allow-*` header is ever sent, so browsers refuse other
//! sites' scripts the answers.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// `scheme://host[:port]` of a URL (the tile server's), for the policy's source lists.
fn origin_of(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let host_end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let origin = &url[..host_end];
    // Only plain origins make it into the header.
    origin
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ":/.-[]".contains(c))
        .then_some(origin)
}

/// The policy; `nonce` admits the page's inline hydration scripts.
pub fn content_security_policy(nonce: Option<&str>, tile_url: Option<&str>) -> String {
    let tiles = tile_url
        .and_then(origin_of)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{nonce}; worker-src 'self' blob:; \
         child-src blob:; img-src 'self' data: blob:{tiles}; connect-src 'self'{tiles}; \
         style-src 'self' 'unsafe-inline'; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Adds the headers; a page that set its own policy (with its nonce) keeps it.
pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = content_security_policy(None, state.map_settings.tile_url.as_deref());
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    let fixed: [(HeaderName, &str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_admits_own_scripts_wasm_workers_and_the_tile_server() {
        let policy = content_security_policy(
            Some("abc"),
            Some("https://tile.example.org/{z}/{x}/{y}.png"),
        );
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc';"),
            "{policy}"
        );
        assert!(policy.contains("worker-src 'self' blob:"), "{policy}");
        assert!(
            policy.contains("img-src 'self' data: blob: https://tile.example.org;"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!content_security_policy(None, None).contains("nonce"));
        assert_eq!(
            origin_of("https://a.b:8080/x/{z}"),
            Some("https://a.b:8080")
        );
        assert_eq!(origin_of("https://a.b'; script-src *"), None);
    }
}
