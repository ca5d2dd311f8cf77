//! Plain-HTTP GET requests to the services the server may be pointed at (an OSRM routing
//! server, a Nominatim-compatible geocoder), each with a time limit and a size limit so a slow
//! or oversized answer never holds a request of ours. `http://` only: such services run beside
//! the server, or behind a proxy that speaks TLS to the outside.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Why a GET got no answer to read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {0:?} (http://host:port expected)")]
    BadUrl(String),
    #[error("did not answer: {0}")]
    Unreachable(String),
    #[error("did not answer within {0:?}")]
    Timeout(Duration),
}

/// GETs `url` and reads at most `max_bytes` of the answer within `within`.
pub async fn get(
    url: &str,
    within: Duration,
    max_bytes: usize,
) -> Result<(StatusCode, Bytes), FetchError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| FetchError::BadUrl(url.to_owned()))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(FetchError::BadUrl(url.to_owned()));
    }
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut request = axum::http::Request::get(uri)
        .body(Empty::new())
        .map_err(|_| FetchError::BadUrl(url.to_owned()))?;
    // Public geocoders refuse requests that do not say who sends them.
    request.headers_mut().insert(
        header::USER_AGENT,
        HeaderValue::from_static(concat!("Wilayah-CRM/", env!("CARGO_PKG_VERSION"))),
    );
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| FetchError::Unreachable(e.to_string()))?;
        let status = response.status();
        let body = http_body_util::Limited::new(response.into_body(), max_bytes)
            .collect()
            .await
            .map_err(|e| FetchError::Unreachable(e.to_string()))?
            .to_bytes();
        Ok((status, body))
    };
    tokio::time::timeout(within, exchange)
        .await
        .map_err(|_| FetchError::Timeout(within))?
}
