//! Who is calling, and may they: the guard every request passes through, sign-in and sign-out
//! (JSON under `/api/v1/auth`, HTML forms under `/auth`), the first-admin setup, users and API
//! tokens for admins, and the audit log.
//!
//! The guard resolves the caller from `Authorization: Bearer <API token>` or the session cookie,
//! applies the rule of pages and server functions from `wilayah_shared::access::APP_POLICIES`
//! (deny by default: admin-only), checks CSRF on cookie-authenticated writes, and runs the
//! handler with the caller as the author of every audited change. REST routes enforce the rule
//! they were declared with (`super::declare`) once the guard has let them through. Handlers read
//! the caller with `Extension<Caller>`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Form, Json};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::routes;
use wilayah_shared::access::Action::Read;
use wilayah_shared::access::Rule::{AdminOnly, Can, Public, SignedIn};
use wilayah_shared::access::{Caller, Role, Rule, rule_for};

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::scope::Scoped;
use crate::AppState;
use crate::auth::{
    MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP, check_password_rules, constant_time_eq,
    decoy_hash, hash_password, random_token, token_hash, verify_password,
};
use crate::db::{Actor, AuditQuery, NewUser, UserRecord, acting_as};

pub const SESSION_COOKIE: &str = "wilayah_session";
/// Readable by the page's scripts: its value goes back in [`CSRF_HEADER`] on writes.
pub const CSRF_COOKIE: &str = "wilayah_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session a cookie-authenticated request belongs to.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub csrf_token: String,
}

/// What kind of path a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    /// REST API: each route enforces its declared rule; CSRF token required for cookie writes.
    Api,
    /// Server functions: rules from `APP_POLICIES`; same-origin proof or token for writes.
    Rpc,
    /// Pages: rules from `APP_POLICIES`; anonymous visitors are sent to the login page, a role
    /// the page is not for gets 403.
    Page,
    /// Sign-in forms and probes (their declared rules are enforced on the route), static files.
    Open,
}

impl Area {
    fn of(path: &str) -> Area {
        if path.starts_with("/api/") {
            Area::Api
        } else if path.starts_with("/rpc/") {
            Area::Rpc
        } else if matches!(path, "/healthz" | "/readyz")
            || path.starts_with("/auth/")
            || path.starts_with("/pkg/")
            || path.starts_with("/vendor/")
            || path
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains('.'))
        {
            Area::Open
        } else {
            Area::Page
        }
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

fn header_text(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether the `Origin` header names this server (the `Host` it was reached at).
fn origin_is_own(headers: &HeaderMap) -> Option<bool> {
    let origin = header_text(headers, header::ORIGIN)?;
    let host = header_text(headers, header::HOST).unwrap_or_default();
    let without_scheme = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    Some(!host.is_empty() && without_scheme == Some(host))
}

/// A browser said the request comes from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    matches!(
        header_text(headers, "sec-fetch-site"),
        Some("cross-site" | "same-site")
    ) || origin_is_own(headers) == Some(false)
}

/// A browser said the request comes from our own pages.
fn same_origin(headers: &HeaderMap) -> bool {
    header_text(headers, "sec-fetch-site") == Some("same-origin")
        || origin_is_own(headers) == Some(true)
}

/// The caller the credentials of a request name (`None`: anonymous), and their session when
/// they came with the cookie. A bad bearer token is an error, not anonymity.
async fn identify(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Option<Caller>, Option<Session>), ApiError> {
    if let Some(authorization) = header_text(headers, header::AUTHORIZATION) {
        let token = authorization
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("use Authorization: Bearer <API token>".into())
            })?;
        let user = state
            .store
            .sign_in()
            .api_token_user(&token_hash(token), Utc::now())
            .await?
            .ok_or_else(|| ApiError::Unauthorized("invalid or revoked API token".into()))?;
        return Ok((Some(user.caller()), None));
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok((None, None));
    };
    let hash = token_hash(token);
    match state
        .store
        .sign_in()
        .session_user(&hash, Utc::now())
        .await?
    {
        Some((user, csrf_token)) => Ok((
            Some(user.caller()),
            Some(Session {
                token_hash: hash,
                csrf_token,
            }),
        )),
        None => Ok((None, None)),
    }
}

/// The answer to a caller `rule` does not admit (`None`: admitted): 401 when not signed in
/// (saying so when the session expired), 403 otherwise.
fn refused(rule: Rule, caller: Option<&Caller>, headers: &HeaderMap) -> Option<Response> {
    if rule.admits(caller) {
        return None;
    }
    let error = match caller {
        None if cookie(headers, SESSION_COOKIE).is_some() => {
            ApiError::Unauthorized("your session has expired; sign in again".into())
        }
        None => ApiError::Unauthorized(
            "sign in first (session cookie or Authorization: Bearer <API token>)".into(),
        ),
        Some(c) => ApiError::Forbidden(match rule {
            Rule::AdminOnly => "only admins may do this".into(),
            _ => format!("a {} may not do this", c.role),
        }),
    };
    Some(error.into_response())
}

/// [`refused`] for a request the guard has passed (its caller is in the extensions).
pub(super) fn refusal(rule: Rule, request: &Request) -> Option<Response> {
    refused(
        rule,
        request.extensions().get::<Caller>(),
        request.headers(),
    )
}

/// A path under `/api/v1` no declaration routes: admin-only like everything undeclared, then 404.
pub(super) async fn unrouted(request: Request) -> Response {
    refusal(Rule::AdminOnly, &request).unwrap_or_else(|| ApiError::NotFound.into_response())
}

/// A method a declared path does not have: admin-only like everything undeclared, then 405.
pub(super) async fn wrong_method(request: Request) -> Response {
    refusal(Rule::AdminOnly, &request).unwrap_or_else(|| {
        ApiError::MethodNotAllowed(format!(
            "{} has no {}",
            request.uri().path(),
            request.method()
        ))
        .into_response()
    })
}

/// A page the caller's role may not use: a small page in their language, never the page itself
/// (which would render with data the role may not see).
fn forbidden_page(headers: &HeaderMap) -> Response {
    use wilayah_app::i18n::{Locale, Msg};
    let locale = header_text(headers, header::COOKIE)
        .and_then(Locale::from_cookie_header)
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><main data-testid=\"forbidden\"><h1>{title}</h1><p>{hint}</p><p><a href=\"/\">{back}</a></p></main></body></html>",
        lang = locale.code(),
        title = Msg::PageForbidden.text(locale),
        hint = Msg::PageForbiddenHint.text(locale),
        back = Msg::BackToMap.text(locale),
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// The guard in front of every route (see the module documentation).
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let writes = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if writes && cross_site(request.headers()) {
        return ApiError::Forbidden("cross-site request refused".into()).into_response();
    }
    let (caller, session) = match identify(&state, request.headers()).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let area = Area::of(&path);
    match area {
        Area::Rpc => {
            let rule = rule_for(method.as_str(), &path);
            if let Some(refused) = refused(rule, caller.as_ref(), request.headers()) {
                return refused;
            }
        }
        Area::Page => {
            let rule = rule_for("GET", &path);
            if !rule.admits(caller.as_ref()) {
                return match &caller {
                    None => Redirect::to("/login").into_response(),
                    Some(_) => forbidden_page(request.headers()),
                };
            }
        }
        // REST routes, forms and probes enforce their declared rule (see `declare`).
        Area::Api | Area::Open => {}
    }
    if writes && let Some(session) = &session {
        let passes = match header_text(request.headers(), CSRF_HEADER) {
            Some(given) => constant_time_eq(given.as_bytes(), session.csrf_token.as_bytes()),
            // Server functions and forms come from our pages, which a browser says (and a
            // foreign page cannot fake); the REST API always wants the token.
            None => area != Area::Api && same_origin(request.headers()),
        };
        if !passes {
            return ApiError::Forbidden(format!(
                "missing or wrong CSRF token: send the {CSRF_COOKIE} cookie's value in {CSRF_HEADER}"
            ))
            .into_response();
        }
    }
    let actor = match &caller {
        Some(c) => Actor {
            user_id: Some(c.user_id),
            label: c.email.clone(),
        },
        None => Actor {
            user_id: None,
            label: "anonymous".into(),
        },
    };
    if let Some(caller) = caller {
        request.extensions_mut().insert(caller);
    }
    if let Some(session) = session {
        request.extensions_mut().insert(session);
    }
    acting_as(actor, next.run(request)).await
}

/// The sign-in forms outside `/api/v1`: HTML forms that answer with redirects (not API, so not
/// in the OpenAPI document).
pub fn declare_forms(api: Api) -> Api {
    api.route_undocumented("POST", "/auth/login", Public, post(login_form))
        .route_undocumented("POST", "/auth/logout", Public, post(logout_form))
        .route_undocumented("POST", "/auth/setup", Public, post(setup_form))
}

/// Sign-in, users, tokens and the audit log under `/api/v1`.
pub fn declare_api(api: Api) -> Api {
    api.route(Public, routes!(login_json))
        .route(SignedIn, routes!(logout_json))
        .route(Public, routes!(setup_json))
        .route(SignedIn, routes!(me))
        .route(AdminOnly, routes!(list_users))
        .route(AdminOnly, routes!(create_user))
        .route(AdminOnly, routes!(reset_password))
        .route(AdminOnly, routes!(list_tokens))
        .route(AdminOnly, routes!(create_token))
        .route(AdminOnly, routes!(revoke_token))
        .route(Can("audit", Read), routes!(audit))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    email: String,
    password: String,
    /// The login form: where to go once signed in (a path on this site).
    #[serde(default)]
    next: Option<String>,
}

/// `next` when it is a path on this site (so the login form cannot send anyone elsewhere).
fn local_path(next: Option<&str>) -> Option<&str> {
    next.filter(|p| {
        p.starts_with('/')
            && !p.starts_with("//")
            && p.len() <= 512
            && !p.chars().any(|c| c == '\\' || c.is_control())
    })
}

/// A new session's secrets, to be set as cookies.
struct NewSession {
    token: String,
    csrf_token: String,
}

pub(super) fn client_address(extensions: &Extensions) -> String {
    extensions.get::<ConnectInfo<SocketAddr>>().map_or_else(
        || "unknown".into(),
        |ConnectInfo(addr)| addr.ip().to_string(),
    )
}

fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.auth.secure_cookies || header_text(headers, "x-forwarded-proto") == Some("https")
}

fn session_cookies(
    state: &AppState,
    headers: &HeaderMap,
    session: Option<&NewSession>,
) -> [HeaderValue; 2] {
    let flags = if secure(state, headers) {
        "; Secure"
    } else {
        ""
    };
    let (token, csrf, max_age) = match session {
        Some(s) => (
            s.token.as_str(),
            s.csrf_token.as_str(),
            state.auth.session_ttl.num_seconds(),
        ),
        None => ("", "", 0),
    };
    let cookie = |text: String| HeaderValue::from_str(&text).expect("cookies are ASCII");
    [
        cookie(format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{flags}"
        )),
        cookie(format!(
            "{CSRF_COOKIE}={csrf}; Path=/; SameSite=Lax; Max-Age={max_age}{flags}"
        )),
    ]
}

fn with_cookies(mut response: Response, cookies: [HeaderValue; 2]) -> Response {
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

async fn start_session(state: &AppState, user: &UserRecord) -> Result<NewSession, ApiError> {
    let session = NewSession {
        token: random_token(),
        csrf_token: random_token(),
    };
    state
        .store
        .sign_in()
        .create_session(
            &token_hash(&session.token),
            user.id,
            &session.csrf_token,
            Utc::now() + state.auth.session_ttl,
        )
        .await?;
    Ok(session)
}

/// Checks credentials under the rate limits and opens a session.
async fn sign_in(
    state: &AppState,
    client: &str,
    credentials: Credentials,
) -> Result<(UserRecord, NewSession), ApiError> {
    let email = credentials.email.trim().to_lowercase();
    let (account_key, client_key) = (format!("account:{email}"), format!("client:{client}"));
    let door = state.store.sign_in();
    // The attempt counts before its password is checked, so parallel attempts cannot all pass
    // the limit; a success takes its count back.
    door.begin_attempt(&[
        (&account_key, MAX_FAILURES_PER_ACCOUNT),
        (&client_key, MAX_FAILURES_PER_IP),
    ])
    .await?;
    let refund = || async {
        door.refund_attempt(&account_key).await;
        door.refund_attempt(&client_key).await;
    };
    // At most one password check per core at a time; when all are busy, answer at once.
    let Ok(slot) = state.auth.hashing.clone().try_acquire_owned() else {
        refund().await;
        return Err(ApiError::Busy { retry_after_s: 1 });
    };
    let found = match state.store.sign_in().login_user(&email).await {
        Ok(found) => found,
        Err(e) => {
            refund().await;
            return Err(e);
        }
    };
    let password = credentials.password;
    // Hashing is CPU work: off the async workers. Unknown e-mails verify against a decoy so
    // both failures take as long.
    let user = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        match found {
            Some((user, hash)) => verify_password(&password, &hash).then_some(user),
            None => {
                verify_password(&password, decoy_hash());
                None
            }
        }
    })
    .await
    .map_err(|e| ApiError::Store(wilayah_app::store::StoreError::Database(Box::new(e))))?;
    let Some(user) = user else {
        return Err(ApiError::Unauthorized("wrong e-mail or password".into()));
    };
    door.refund_attempt(&client_key).await;
    door.clear_attempts(&account_key).await;
    let session = start_session(state, &user).await?;
    tracing::info!(user = user.id, "signed in");
    Ok((user, session))
}

/// `POST /api/v1/auth/login {"email", "password"}` → 200 with the user and the CSRF token, and
/// the session cookie; 401 for wrong credentials, 429 after too many failures.
#[utoipa::path(post, path = "/auth/login", tag = "auth", summary = "Sign in", security(()),
    request_body = ref("#/components/schemas/Credentials"),
    responses((status = 200, description = "Signed in; the session cookie is set", body = ref("#/components/schemas/SignedIn")),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")), (status = 401, description = "Wrong e-mail or password", body = ref("#/components/schemas/Error")), (status = 429, description = "Too many failed sign-ins; see Retry-After", body = ref("#/components/schemas/Error"))))]
async fn login_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    let (user, session) = sign_in(&state, &client_address(&extensions), credentials).await?;
    Ok(signed_in(&state, &headers, StatusCode::OK, &user, &session))
}

/// The JSON answer to a sign-in: the user and the CSRF token, with the session cookies.
fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    user: &UserRecord,
    session: &NewSession,
) -> Response {
    let body = (
        status,
        Json(json!({ "user": user, "csrf_token": session.csrf_token })),
    );
    with_cookies(
        body.into_response(),
        session_cookies(state, headers, Some(session)),
    )
}

/// The login page's form: on success to the map, else back to the form with the reason.
async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(credentials): Form<Credentials>,
) -> Response {
    let next = local_path(credentials.next.as_deref()).map(str::to_owned);
    let again = |error: &str| match &next {
        Some(next) => format!(
            "/login?error={error}&next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ),
        None => format!("/login?error={error}"),
    };
    match sign_in(&state, &client_address(&extensions), credentials).await {
        Ok((_, session)) => with_cookies(
            Redirect::to(next.as_deref().unwrap_or("/")).into_response(),
            session_cookies(&state, &headers, Some(&session)),
        ),
        Err(ApiError::TooManyRequests { .. } | ApiError::Busy { .. }) => {
            Redirect::to(&again("limited")).into_response()
        }
        Err(ApiError::Unauthorized(_)) => Redirect::to(&again("invalid")).into_response(),
        Err(other) => other.into_response(),
    }
}

async fn end_session(state: &AppState, session: Option<&Session>) -> Result<(), ApiError> {
    if let Some(session) = session {
        state
            .store
            .sign_in()
            .delete_session(&session.token_hash)
            .await?;
    }
    Ok(())
}

/// Tells the browser to drop what this site keeps on the device (local storage: a technician's
/// kept day and queue). The technician view signs out only once its queue is sent or the user
/// chose to discard it (docs/field.md).
fn clearing_site_data(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::HeaderName::from_static("clear-site-data"),
        axum::http::HeaderValue::from_static("\"storage\""),
    );
    response
}

/// `POST /api/v1/auth/logout` → 204, the session ended, its cookies and the device's storage
/// cleared.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", summary = "Sign out",
    responses((status = 204, description = "Session ended, its cookies and the device's storage cleared")))]
async fn logout_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Option<Extension<Session>>,
) -> Result<Response, ApiError> {
    end_session(&state, session.as_deref()).await?;
    Ok(clearing_site_data(with_cookies(
        StatusCode::NO_CONTENT.into_response(),
        session_cookies(&state, &headers, None),
    )))
}

async fn logout_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Option<Extension<Session>>,
) -> Result<Response, ApiError> {
    end_session(&state, session.as_deref()).await?;
    Ok(clearing_site_data(with_cookies(
        Redirect::to("/login").into_response(),
        session_cookies(&state, &headers, None),
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    token: String,
    email: String,
    password: String,
}

fn checked_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    if email.len() > 200 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(ApiError::Invalid(
            wilayah_shared::account::ValidationError::new("email", "is not an e-mail address")
                .because("not_email"),
        ));
    }
    Ok(email)
}

/// The argon2id hash of a new password that meets the rules (422 on `password` otherwise).
pub async fn hashed_password(password: String) -> Result<String, ApiError> {
    check_password_rules(&password).map_err(|e| {
        ApiError::Invalid(wilayah_shared::account::ValidationError::new(
            "password",
            e.to_string(),
        ))
    })?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Store(wilayah_app::store::StoreError::Database(Box::new(e))))?
        .map_err(|e| ApiError::Store(wilayah_app::store::StoreError::Database(Box::new(e))))
}

/// Creates the first admin with the one-time setup token and signs them in.
async fn set_up(
    state: &AppState,
    request: SetupRequest,
) -> Result<(UserRecord, NewSession), ApiError> {
    if !state
        .store
        .sign_in()
        .setup_token_valid(&token_hash(&request.token))
        .await?
    {
        return Err(ApiError::Forbidden(
            "this setup link is not valid (any more): the first admin exists".into(),
        ));
    }
    let user = NewUser {
        email: checked_email(&request.email)?,
        password_hash: hashed_password(request.password).await?,
        role: Role::Admin,
        staff_id: None,
        region: vec![],
    };
    let user = acting_as(
        Actor {
            user_id: None,
            label: "setup".into(),
        },
        state.store.sign_in().create_first_admin(&user),
    )
    .await?;
    *state
        .auth
        .setup_token
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = None;
    tracing::info!(user = user.id, "first admin created through the setup link");
    let session = start_session(state, &user).await?;
    Ok((user, session))
}

/// `POST /api/v1/auth/setup {"token", "email", "password"}` → 201, signed in as the new admin.
#[utoipa::path(post, path = "/auth/setup", tag = "auth", security(()),
    summary = "Create the first admin with the one-time setup token and sign in",
    request_body = ref("#/components/schemas/SetupRequest"),
    responses((status = 201, description = "The first admin, signed in", body = ref("#/components/schemas/SignedIn")),
        (status = 403, description = "The setup link is not valid (any more)", body = ref("#/components/schemas/Error")), (status = 422, description = "A field breaks a rule", body = ref("#/components/schemas/Error"))))]
async fn setup_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SetupRequest>,
) -> Result<Response, ApiError> {
    let (user, session) = set_up(&state, request).await?;
    Ok(signed_in(
        &state,
        &headers,
        StatusCode::CREATED,
        &user,
        &session,
    ))
}

async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(request): Form<SetupRequest>,
) -> Response {
    let token = request.token.clone();
    match set_up(&state, request).await {
        Ok((_, session)) => with_cookies(
            Redirect::to("/").into_response(),
            session_cookies(&state, &headers, Some(&session)),
        ),
        Err(ApiError::Invalid(e)) => Redirect::to(&format!(
            "/setup?token={}&error={}",
            urlencode(&token),
            e.field
        ))
        .into_response(),
        Err(other) => other.into_response(),
    }
}

/// Percent-encodes everything but unreserved characters (the token is hex anyway).
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `GET /api/v1/auth/me`: who the caller is (and, for a browser session, its CSRF token).
#[utoipa::path(get, path = "/auth/me", tag = "auth", summary = "Who am I",
    responses((status = 200, description = "The caller and the session's CSRF token", body = ref("#/components/schemas/Me"))))]
async fn me(
    Extension(caller): Extension<Caller>,
    session: Option<Extension<Session>>,
) -> Json<serde_json::Value> {
    Json(json!({
        "user": caller,
        "csrf_token": session.map(|s| s.csrf_token.clone()),
    }))
}

#[utoipa::path(get, path = "/users", tag = "auth", summary = "Users (admins)",
    responses((status = 200, description = "Users", body = ref("#/components/schemas/UserList"))))]
async fn list_users(scoped: Scoped) -> Result<Json<Vec<UserRecord>>, ApiError> {
    Ok(Json(scoped.users()?.list().await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    email: String,
    password: String,
    role: String,
    staff_id: Option<i64>,
    #[serde(default)]
    region: Vec<i64>,
}

/// Checks a new user's fields (shared by the API and the CLI).
pub async fn new_user(input: UserInput) -> Result<NewUser, ApiError> {
    let role: Role = input
        .role
        .parse()
        .map_err(|e: wilayah_shared::domain::UnknownVariant| {
            ApiError::Invalid(wilayah_shared::account::ValidationError::new(
                "role",
                e.to_string(),
            ))
        })?;
    if matches!(role, Role::SalesRep | Role::Technician) && input.staff_id.is_none() {
        return Err(ApiError::Invalid(
            wilayah_shared::account::ValidationError::new(
                "staff_id",
                "is required for sales reps and technicians: their rows are found through it",
            ),
        ));
    }
    if role != Role::Manager && !input.region.is_empty() {
        return Err(ApiError::Invalid(
            wilayah_shared::account::ValidationError::new("region", "only managers have a region"),
        ));
    }
    Ok(NewUser {
        email: checked_email(&input.email)?,
        password_hash: hashed_password(input.password).await?,
        role,
        staff_id: input.staff_id,
        region: input.region,
    })
}

impl UserInput {
    pub fn new(
        email: String,
        password: String,
        role: String,
        staff_id: Option<i64>,
        region: Vec<i64>,
    ) -> Self {
        UserInput {
            email,
            password,
            role,
            staff_id,
            region,
        }
    }
}

/// `POST /api/v1/users {"email", "password", "role", "staff_id"?, "region"?}` → 201.
#[utoipa::path(post, path = "/users", tag = "auth", summary = "Create a user (admins)",
    request_body = ref("#/components/schemas/UserInput"),
    responses((status = 201, description = "Created", body = ref("#/components/schemas/User")),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")), (status = 409, description = "The e-mail is taken", body = ref("#/components/schemas/Error")), (status = 422, description = "A field is invalid", body = ref("#/components/schemas/Error"))))]
async fn create_user(
    scoped: Scoped,
    ApiJson(input): ApiJson<UserInput>,
) -> Result<impl IntoResponse, ApiError> {
    let users = scoped.users()?;
    let user = users.create(&new_user(input).await?).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    password: String,
}

/// `POST /api/v1/users/{id}/password {"password"}` → 204; the user's sessions end.
#[utoipa::path(post, path = "/users/{id}/password", tag = "auth",
    summary = "Set a user's password (admins); their sessions end",
    params(("id" = i64, Path, description = "The user")),
    request_body = ref("#/components/schemas/PasswordInput"),
    responses((status = 204, description = "Changed"), (status = 404, description = "No such user", body = ref("#/components/schemas/Error")), (status = 422, description = "Too short or too long", body = ref("#/components/schemas/Error"))))]
async fn reset_password(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<PasswordInput>,
) -> Result<StatusCode, ApiError> {
    let users = scoped.users()?;
    let hash = hashed_password(input.password).await?;
    users.set_password(id, &hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/tokens", tag = "auth", summary = "API tokens (admins; never the token itself)",
    responses((status = 200, description = "Tokens", body = ref("#/components/schemas/ApiTokenList"))))]
async fn list_tokens(scoped: Scoped) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(scoped.users()?.tokens().await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    name: String,
    /// Whose token it is (default: the caller's own).
    user_id: Option<i64>,
}

/// `POST /api/v1/tokens {"name", "user_id"?}` → 201 with the token, shown this once.
#[utoipa::path(post, path = "/tokens", tag = "auth", summary = "Create an API token (admins); the answer shows it once",
    request_body = ref("#/components/schemas/TokenInput"),
    responses((status = 201, description = "The token and its record", body = ref("#/components/schemas/NewApiToken")),
        (status = 422, description = "A name of 1 to 100 characters is required", body = ref("#/components/schemas/Error"))))]
async fn create_token(
    scoped: Scoped,
    ApiJson(input): ApiJson<TokenInput>,
) -> Result<impl IntoResponse, ApiError> {
    let user_id = input.user_id.unwrap_or(scoped.caller().user_id);
    let (token, record) = scoped.users()?.issue_token(user_id, &input.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "record": record })),
    ))
}

/// A new API token for the user, named `name` (1–100 characters): the token (to show once)
/// and its record; the store keeps only its hash.
pub async fn issue_api_token(
    store: &dyn crate::db::ServerStore,
    user_id: i64,
    name: &str,
) -> Result<(String, crate::db::ApiTokenRecord), ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::Invalid(
            wilayah_shared::account::ValidationError::new("name", "must be 1 to 100 characters"),
        ));
    }
    let token = format!("wly_{}", random_token());
    let record = store
        .create_api_token(user_id, name, &token_hash(&token))
        .await?;
    Ok((token, record))
}

/// `DELETE /api/v1/tokens/{id}` → 204; the token stops working at once.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "auth", summary = "Revoke an API token (admins)",
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such token", body = ref("#/components/schemas/Error"))))]
async fn revoke_token(scoped: Scoped, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    scoped.users()?.revoke_token(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    entity: Option<String>,
    entity_id: Option<i64>,
    account_id: Option<i64>,
    actor: Option<String>,
    action: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// `GET /api/v1/audit?entity&entity_id&account_id&actor&action&since&until&limit&offset`:
/// newest first. A manager with a region sees the entries about that region's accounts.
#[utoipa::path(get, path = "/audit", tag = "audit", summary = "Audit log, newest first (admins, managers)",
    params(
        ("entity" = Option<String>, Query, description = "Table name (accounts, contacts, …)"),
        ("entity_id" = Option<i64>, Query, description = "Record id"),
        ("account_id" = Option<i64>, Query, description = "Entries about this account"),
        ("actor" = Option<String>, Query, description = "E-mail of the user, or system / cli / setup"),
        ("action" = Option<String>, Query, description = "create, update, delete, import, export, erase, revoke"),
        ("since" = Option<String>, Query, format = DateTime, description = "RFC 3339"),
        ("until" = Option<String>, Query, format = DateTime, description = "RFC 3339"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many (default 100)"),
        ("offset" = Option<u64>, Query, description = "Entries to skip"),
    ),
    responses((status = 200, description = "Entries", body = ref("#/components/schemas/AuditEntries")), (status = 400, description = "Bad parameter", body = ref("#/components/schemas/Error"))))]
async fn audit(
    scoped: Scoped,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_field("limit", "must be between 1 and 1000"));
    }
    let query = AuditQuery {
        entity: params.entity,
        entity_id: params.entity_id,
        account_id: params.account_id,
        actor: params.actor,
        action: params.action,
        since: params.since,
        until: params.until,
        within_accounts: None,
        hidden_entities: Vec::new(),
        limit,
        offset: params.offset.unwrap_or(0),
    };
    Ok(Json(scoped.audit_entries(query).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_form_only_returns_to_paths_on_this_site() {
        assert_eq!(
            local_path(Some("/tech?technician=4")),
            Some("/tech?technician=4")
        );
        for outside in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "",
            "tech",
        ] {
            assert_eq!(local_path(Some(outside)), None, "{outside}");
        }
        assert_eq!(local_path(None), None);
    }

    #[test]
    fn paths_fall_into_areas() {
        assert_eq!(Area::of("/api/v1/accounts"), Area::Api);
        assert_eq!(Area::of("/rpc/account_panel"), Area::Rpc);
        assert_eq!(Area::of("/"), Area::Page);
        assert_eq!(Area::of("/planning"), Area::Page);
        assert_eq!(Area::of("/login"), Area::Page);
        assert_eq!(Area::of("/auth/login"), Area::Open);
        assert_eq!(Area::of("/pkg/wilayah.wasm"), Area::Open);
        assert_eq!(Area::of("/wilayah.css"), Area::Open);
    }

    #[test]
    fn origins_are_compared_with_the_host() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert!(!cross_site(&headers) && !same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:3000"),
        );
        assert!(!cross_site(&headers) && same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(cross_site(&headers) && !same_origin(&headers));
        headers.remove(header::ORIGIN);
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&headers));
    }
}
