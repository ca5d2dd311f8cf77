//! Server functions check their own policy line (`wilayah_shared::access`) against the caller,
//! whether they are called over HTTP (where the guard checked it too) or in-process while a page
//! renders on the server, where no HTTP guard sees the call. Data comes only through the
//! caller's [`CallerData`](crate::store::CallerData).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use wilayah_shared::access::{Caller, Rule, rule_for};

use crate::store::{AppContext, CallerData};

/// The signed-in caller, as the server's guard put it on the request (the page's request when a
/// page renders).
pub fn signed_in() -> Option<Caller> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
}

fn refuse(status: http::StatusCode, message: &str) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(message)
}

/// The caller of server function `F`, if its policy admits them: 401 when nobody is signed in,
/// 403 when the role may not call it.
pub fn authorize<F: ServerFn>() -> Result<Caller, ServerFnError> {
    let caller = signed_in();
    let rule = rule_for("POST", F::PATH);
    if rule.admits(caller.as_ref()) {
        return caller.ok_or_else(|| refuse(http::StatusCode::UNAUTHORIZED, "sign in first"));
    }
    Err(match (caller, rule) {
        (None, _) => refuse(http::StatusCode::UNAUTHORIZED, "sign in first"),
        (Some(_), Rule::AdminOnly) => {
            refuse(http::StatusCode::FORBIDDEN, "only admins may do this")
        }
        (Some(_), _) => refuse(http::StatusCode::FORBIDDEN, "your role may not do this"),
    })
}

fn app_context() -> Result<AppContext, ServerFnError> {
    use_context::<AppContext>()
        .ok_or_else(|| ServerFnError::new("application context missing (server misconfigured)"))
}

/// The data server function `F` may reach for its caller, after [`authorize`].
pub fn caller_data<F: ServerFn>() -> Result<(AppContext, Box<dyn CallerData>), ServerFnError> {
    let caller = authorize::<F>()?;
    let ctx = app_context()?;
    let data = (ctx.data)(caller);
    Ok((ctx, data))
}

/// The deployment's settings for server functions that read no data of anyone's.
pub fn settings<F: ServerFn>() -> Result<AppContext, ServerFnError> {
    authorize::<F>()?;
    app_context()
}
