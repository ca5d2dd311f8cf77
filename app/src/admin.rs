//! `/admin`: users (create, reset a password) and API tokens (create, revoke). The server
//! functions here have no line in the route policy table, so they are admin-only by default;
//! each checks that itself, so rendering `/admin` as anyone else shows nothing.

use leptos::form::ActionForm;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::i18n::{Msg, tr};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub staff_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub revoked: bool,
}

/// What the page needs from the server (implemented there over the caller's scoped handle;
/// provided as [`UserAdminFor`] context). Errors are messages for the admin.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait UserAdmin: Send + Sync + 'static {
    async fn users(&self) -> Result<Vec<UserRow>, String>;
    async fn tokens(&self) -> Result<Vec<TokenRow>, String>;
    async fn add_user(
        &self,
        email: String,
        password: String,
        role: String,
        staff_id: Option<i64>,
    ) -> Result<(), String>;
    async fn set_password(&self, user_id: i64, password: String) -> Result<(), String>;
    /// The new token, shown once.
    async fn new_token(&self, user_id: i64, name: String) -> Result<String, String>;
    async fn revoke(&self, token_id: i64) -> Result<(), String>;
}

/// How the server provides user administration (as context): one for each caller, through
/// that caller's own door to the data.
#[cfg(feature = "ssr")]
pub type UserAdminFor = std::sync::Arc<
    dyn Fn(wilayah_shared::access::Caller) -> Box<dyn UserAdmin> + Send + Sync + 'static,
>;

/// User administration for server function `F`, after checking `F`'s policy against the caller
/// (these functions also run in-process while `/admin` renders, where no HTTP guard sees them).
#[cfg(feature = "ssr")]
fn user_admin<F: leptos::server_fn::ServerFn>() -> Result<Box<dyn UserAdmin>, ServerFnError> {
    let caller = crate::access::authorize::<F>()?;
    let for_caller = use_context::<UserAdminFor>()
        .ok_or_else(|| ServerFnError::new("user administration is not available"))?;
    Ok(for_caller(caller))
}

#[server(prefix = "/rpc", endpoint = "admin_overview")]
pub async fn admin_overview() -> Result<(Vec<UserRow>, Vec<TokenRow>), ServerFnError> {
    let admin = user_admin::<AdminOverview>()?;
    let users = admin.users().await.map_err(ServerFnError::new)?;
    let tokens = admin.tokens().await.map_err(ServerFnError::new)?;
    Ok((users, tokens))
}

#[server(prefix = "/rpc", endpoint = "admin_add_user")]
pub async fn admin_add_user(
    email: String,
    password: String,
    role: String,
    staff_id: String,
) -> Result<(), ServerFnError> {
    let staff_id = match staff_id.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| ServerFnError::new("staff id: a whole number"))?,
        ),
    };
    user_admin::<AdminAddUser>()?
        .add_user(email, password, role, staff_id)
        .await
        .map_err(ServerFnError::new)
}

#[server(prefix = "/rpc", endpoint = "admin_reset_password")]
pub async fn admin_reset_password(user_id: i64, password: String) -> Result<(), ServerFnError> {
    user_admin::<AdminResetPassword>()?
        .set_password(user_id, password)
        .await
        .map_err(ServerFnError::new)
}

#[server(prefix = "/rpc", endpoint = "admin_new_token")]
pub async fn admin_new_token(user_id: i64, name: String) -> Result<String, ServerFnError> {
    user_admin::<AdminNewToken>()?
        .new_token(user_id, name)
        .await
        .map_err(ServerFnError::new)
}

#[server(prefix = "/rpc", endpoint = "admin_revoke_token")]
pub async fn admin_revoke_token(token_id: i64) -> Result<(), ServerFnError> {
    user_admin::<AdminRevokeToken>()?
        .revoke(token_id)
        .await
        .map_err(ServerFnError::new)
}

/// "Saved" or the error of the last submission of a form.
fn outcome(
    value: impl Get<Value = Option<Result<(), ServerFnError>>> + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        value.get().map(|result| match result {
            Ok(_) => {
                view! { <p class="muted" data-testid="admin-saved">{tr(Msg::Saved)}</p> }.into_any()
            }
            Err(e) => {
                view! { <p class="error" data-testid="admin-error">{e.to_string()}</p> }.into_any()
            }
        })
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let add = ServerAction::<AdminAddUser>::new();
    let reset = ServerAction::<AdminResetPassword>::new();
    let token = ServerAction::<AdminNewToken>::new();
    let revoke = ServerAction::<AdminRevokeToken>::new();
    let overview = Resource::new(
        move || {
            (
                add.version().get(),
                reset.version().get(),
                token.version().get(),
                revoke.version().get(),
            )
        },
        |_| admin_overview(),
    );
    let new_token = move || {
        token.value().get().and_then(Result::ok).map(|t| {
            view! { <p>{tr(Msg::TokenShownOnce)} " " <code data-testid="new-token">{t}</code></p> }
        })
    };
    view! {
        <crate::Header title=Msg::AdminTitle />
        <main class="admin-page">
            <h1>{tr(Msg::AdminTitle)}</h1>
            <Suspense fallback=|| view! { <p>{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok((users, tokens)) => view! { <AdminTables users tokens revoke /> }.into_any(),
                        Err(_) => view! { <p class="error">{tr(Msg::AdminOnly)}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <section class="panel">
                <h2>{tr(Msg::AddUser)}</h2>
                <ActionForm action=add>
                    <input type="email" name="email" required placeholder="email" />
                    <input type="password" name="password" required minlength="10" placeholder="password" />
                    <select name="role">
                        <option value="manager">{role_label("manager")}</option>
                        <option value="planner">{role_label("planner")}</option>
                        <option value="sales_rep">{role_label("sales_rep")}</option>
                        <option value="technician">{role_label("technician")}</option>
                        <option value="admin">{role_label("admin")}</option>
                    </select>
                    <input type="text" name="staff_id" placeholder="staff id" />
                    <button class="action" type="submit">{tr(Msg::AddUser)}</button>
                </ActionForm>
                {outcome(add.value())}
            </section>
            <section class="panel">
                <h2>{tr(Msg::ResetPassword)}</h2>
                <ActionForm action=reset>
                    <input type="number" name="user_id" required placeholder="user id" />
                    <input type="password" name="password" required minlength="10" placeholder="password" />
                    <button class="action" type="submit">{tr(Msg::ResetPassword)}</button>
                </ActionForm>
                {outcome(reset.value())}
            </section>
            <section class="panel">
                <h2>{tr(Msg::ApiTokens)}</h2>
                <ActionForm action=token>
                    <input type="number" name="user_id" required placeholder="user id" />
                    <input type="text" name="name" required placeholder="name" />
                    <button class="action" type="submit">{tr(Msg::CreateToken)}</button>
                </ActionForm>
                {new_token}
                {outcome(revoke.value())}
            </section>
        </main>
    }
}

/// A stored role name in the reader's language (the name itself when it is not a role).
fn role_label(role: &str) -> impl IntoView + use<> {
    let role = role.to_owned();
    let locale = crate::i18n::use_locale();
    move || match role.parse::<wilayah_shared::access::Role>() {
        Ok(r) => crate::i18n::role_msg(r).text(locale.get()).to_owned(),
        Err(_) => role.clone(),
    }
}

#[component]
fn AdminTables(
    users: Vec<UserRow>,
    tokens: Vec<TokenRow>,
    revoke: ServerAction<AdminRevokeToken>,
) -> impl IntoView {
    let users = users
        .into_iter()
        .map(|u| {
            view! {
                <tr data-testid="admin-user">
                    <td>{u.id}</td><td>{u.email}</td><td>{role_label(&u.role)}</td>
                    <td>{u.staff_id.map(|s| s.to_string()).unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let tokens = tokens
        .into_iter()
        .map(|t| {
            let id = t.id;
            view! {
                <tr data-testid="admin-token">
                    <td>{t.id}</td><td>{t.user_id}</td><td>{t.name}</td>
                    <td>
                        {if t.revoked {
                            view! { <span class="muted">{tr(Msg::Revoked)}</span> }.into_any()
                        } else {
                            view! {
                                <ActionForm action=revoke>
                                    <input type="hidden" name="token_id" value=id />
                                    <button type="submit">{tr(Msg::Revoke)}</button>
                                </ActionForm>
                            }
                            .into_any()
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel">
            <h2>{tr(Msg::Users)}</h2>
            <table class="admin-table"><tbody>{users}</tbody></table>
            <h2>{tr(Msg::ApiTokens)}</h2>
            <table class="admin-table"><tbody>{tokens}</tbody></table>
        </section>
    }
}
