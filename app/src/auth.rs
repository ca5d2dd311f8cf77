//! Sign-in pages: the login form, the one-time first-admin setup form, and the sign-out
//! button. Plain HTML forms posted to the server's `/auth/…` routes (which answer with
//! redirects), so they work before (and without) the wasm.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::i18n::{Msg, tr};

/// `/login`: e-mail and password; `?error=invalid|limited` says why the last try failed;
/// `?next=/path` is where to go once signed in (the technician view sends people back to it).
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let error = move || {
        query.with(|q| q.get("error")).map(|e| {
            let msg = if e == "limited" {
                Msg::LoginLimited
            } else {
                Msg::LoginInvalid
            };
            view! { <p class="error" data-testid="login-error">{tr(msg)}</p> }
        })
    };
    view! {
        <main class="auth-page">
            <form class="auth-form panel" method="post" action="/auth/login" data-testid="login-form">
                <h1 class="brand">{tr(Msg::AppName)}</h1>
                <h2>{tr(Msg::SignIn)}</h2>
                {error}
                <input type="hidden" name="next" prop:value=next />
                <label>
                    <span>{tr(Msg::Email)}</span>
                    <input type="email" name="email" required autocomplete="username" data-testid="login-email" />
                </label>
                <label>
                    <span>{tr(Msg::Password)}</span>
                    <input type="password" name="password" required autocomplete="current-password" data-testid="login-password" />
                </label>
                <button class="action" type="submit" data-testid="login-submit">{tr(Msg::SignIn)}</button>
            </form>
        </main>
    }
}

/// `/setup?token=…`: creates the first admin with the token the server printed at start.
#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token")).unwrap_or_default();
    let error = move || {
        query.with(|q| q.get("error")).map(
            |_| view! { <p class="error" data-testid="setup-error">{tr(Msg::SetupInvalid)}</p> },
        )
    };
    view! {
        <main class="auth-page">
            <form class="auth-form panel" method="post" action="/auth/setup" data-testid="setup-form">
                <h1 class="brand">{tr(Msg::AppName)}</h1>
                <h2>{tr(Msg::SetupTitle)}</h2>
                <p class="muted">{tr(Msg::SetupIntro)}</p>
                {error}
                <input type="hidden" name="token" prop:value=token />
                <label>
                    <span>{tr(Msg::Email)}</span>
                    <input type="email" name="email" required autocomplete="username" data-testid="setup-email" />
                </label>
                <label>
                    <span>{tr(Msg::Password)}</span>
                    <input type="password" name="password" required minlength="10" autocomplete="new-password" data-testid="setup-password" />
                </label>
                <button class="action" type="submit" data-testid="setup-submit">{tr(Msg::CreateAdmin)}</button>
            </form>
        </main>
    }
}

/// Ends the session (a form, so the browser's same-origin headers vouch for it).
#[component]
pub fn LogoutButton() -> impl IntoView {
    view! {
        <form class="logout" method="post" action="/auth/logout">
            <button class="lang-switch" type="submit" data-testid="logout">{tr(Msg::SignOut)}</button>
        </form>
    }
}

/// The session's CSRF token (the `wilayah_csrf` cookie, readable by our scripts on purpose): REST
/// writes from our pages send it back in `X-CSRF-Token`, which a foreign page cannot do.
#[cfg(feature = "hydrate")]
pub fn csrf_token() -> Option<String> {
    use wasm_bindgen::JsCast;
    let cookies = web_sys::window()?
        .document()?
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()?
        .cookie()
        .ok()?;
    cookies.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == "wilayah_csrf").then(|| value.to_owned())
    })
}

/// A `POST` to our REST API carrying the CSRF token.
#[cfg(feature = "hydrate")]
pub fn post(url: &str) -> gloo_net::http::RequestBuilder {
    let request = gloo_net::http::Request::post(url);
    match csrf_token() {
        Some(token) => request.header("x-csrf-token", &token),
        None => request,
    }
}
