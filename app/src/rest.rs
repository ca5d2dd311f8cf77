//! The REST API as the workspace pages call it after hydration (`gloo_net`; writes carry the
//! CSRF token). An error keeps the status and the JSON body (`error`, `field`,
//! `current_version`), so a page can put a 422 next to its field and show a 409's changes.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A refused or failed request.
#[derive(Debug, Clone, PartialEq)]
pub struct RestError {
    /// 0 when the request never got an answer.
    pub status: u16,
    pub body: Value,
}

impl RestError {
    pub fn field(&self) -> Option<&str> {
        self.body.get("field").and_then(Value::as_str)
    }

    /// The answer read as an error with its code ([`crate::errors::ApiFailure`]), to say in
    /// the user's language.
    pub fn failure(&self) -> crate::errors::ApiFailure {
        crate::errors::ApiFailure::from_answer(self.status, &self.body.to_string())
    }

    /// The API's English message (for logs; never shown).
    pub fn message(&self) -> &str {
        self.body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

#[cfg(feature = "hydrate")]
async fn answer<T: DeserializeOwned>(
    sent: Result<gloo_net::http::Response, gloo_net::Error>,
) -> Result<T, RestError> {
    let response = sent.map_err(|_| RestError {
        status: 0,
        body: Value::Null,
    })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !(200..300).contains(&status) {
        return Err(RestError {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        });
    }
    let text = if text.is_empty() { "null" } else { &text };
    serde_json::from_str(text).map_err(|_| RestError {
        status,
        body: Value::Null,
    })
}

#[cfg(feature = "hydrate")]
fn with_csrf(request: gloo_net::http::RequestBuilder) -> gloo_net::http::RequestBuilder {
    match crate::auth::csrf_token() {
        Some(token) => request.header("x-csrf-token", &token),
        None => request,
    }
}

/// `GET url` as JSON.
pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, RestError> {
    #[cfg(feature = "hydrate")]
    {
        answer(gloo_net::http::Request::get(url).send().await).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = url;
        Err(RestError {
            status: 0,
            body: Value::Null,
        })
    }
}

/// `method url` with a JSON body; the answer as JSON (`null` for 204).
pub async fn send<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: &impl Serialize,
) -> Result<T, RestError> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_net::http::Request;
        let request = match method {
            "POST" => Request::post(url),
            "PATCH" => Request::patch(url),
            "PUT" => Request::put(url),
            _ => Request::delete(url),
        };
        let sent = match with_csrf(request).json(body) {
            Ok(request) => request.send().await,
            Err(e) => Err(e),
        };
        answer(sent).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, url, serde_json::to_value(body));
        Err(RestError {
            status: 0,
            body: Value::Null,
        })
    }
}

/// `DELETE url`.
pub async fn delete(url: &str) -> Result<(), RestError> {
    #[cfg(feature = "hydrate")]
    {
        let sent = with_csrf(gloo_net::http::Request::delete(url)).send().await;
        answer::<Value>(sent).await.map(|_| ())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = url;
        Err(RestError {
            status: 0,
            body: Value::Null,
        })
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
