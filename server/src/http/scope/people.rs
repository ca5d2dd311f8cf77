//! Sign-in (before anyone is known) and user administration (admins only): the two doors to
//! the user tables, which hold no customer data.

use chrono::{DateTime, Utc};

use super::{Gate, Scoped};
use crate::db::{ApiTokenRecord, NewUser, ServerStore, UserRecord};
use crate::http::error::ApiError;

/// See [`SignIn::begin_attempt`]; the public problem report counts its reports the same way.
pub(super) async fn begin_attempt(
    store: &dyn ServerStore,
    keys: &[(&str, u32)],
) -> Result<(), ApiError> {
    let window_ms = crate::auth::LOGIN_WINDOW.as_millis() as i64;
    store
        .count_attempt(keys, window_ms, Utc::now().timestamp_millis())
        .await?
        .map_err(|retry_after_s| ApiError::TooManyRequests { retry_after_s })
}

/// What signing in and out needs: sessions, API tokens and the password of an e-mail address.
pub struct SignIn<'a>(&'a dyn ServerStore);

impl Gate {
    /// The sign-in door: the guard and the sign-in routes use it before a caller is known.
    pub fn sign_in(&self) -> SignIn<'_> {
        SignIn(self.0.as_ref())
    }
}

impl SignIn<'_> {
    /// The user behind an API token's hash, if it is valid at `now`.
    pub async fn api_token_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRecord>, ApiError> {
        Ok(self.0.api_token_user(token_hash, now).await?)
    }

    /// The user and CSRF token of a live session.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(UserRecord, String)>, ApiError> {
        Ok(self.0.session_user(token_hash, now).await?)
    }

    /// A user and their password hash, by e-mail.
    pub async fn login_user(&self, email: &str) -> Result<Option<(UserRecord, String)>, ApiError> {
        Ok(self.0.login_user(email).await?)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        Ok(self
            .0
            .create_session(token_hash, user_id, csrf_token, expires)
            .await?)
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), ApiError> {
        Ok(self.0.delete_session(token_hash).await?)
    }

    /// Counts an attempt for every `(key, max)` before its password is checked, or refuses it
    /// (429 with the seconds to wait) when a key already has `max` in the current window,
    /// counting nothing. The counts are in the database, so every process shares them; a
    /// success clears or refunds them.
    pub async fn begin_attempt(&self, keys: &[(&str, u32)]) -> Result<(), ApiError> {
        begin_attempt(self.0, keys).await
    }

    /// Takes back one attempt counted by [`SignIn::begin_attempt`] (its password was not
    /// checked, or it was right); a failure is only logged (the count stays).
    pub async fn refund_attempt(&self, key: &str) {
        if let Err(e) = self.0.refund_attempt(key).await {
            tracing::warn!(error = %e, "taking back a sign-in attempt failed");
        }
    }

    /// Whether a first-admin setup token with this hash was printed by any process and no
    /// user exists yet.
    pub async fn setup_token_valid(&self, token_hash: &str) -> Result<bool, ApiError> {
        Ok(self.0.setup_token_valid(token_hash).await?)
    }

    /// Forgets a key's attempts (a successful sign-in).
    pub async fn clear_attempts(&self, key: &str) {
        if let Err(e) = self.0.clear_attempts(key).await {
            tracing::warn!(error = %e, "clearing sign-in attempts failed");
        }
    }

    /// Creates the first admin, only while no user exists (403 afterwards).
    pub async fn create_first_admin(&self, user: &NewUser) -> Result<UserRecord, ApiError> {
        let refused = || {
            ApiError::Forbidden(
                "this setup link is not valid (any more): the first admin exists".into(),
            )
        };
        if self.0.count_users().await? != 0 {
            return Err(refused());
        }
        Ok(self.0.create_user(user).await?)
    }
}

/// User and API-token administration, for admins.
pub struct Users<'a>(&'a dyn ServerStore);

impl Scoped {
    /// The user administration door: admins only.
    pub fn users(&self) -> Result<Users<'_>, ApiError> {
        if self.caller.is_admin() {
            Ok(Users(self.store().as_ref()))
        } else {
            Err(ApiError::Forbidden("only admins may do this".into()))
        }
    }
}

impl Users<'_> {
    pub async fn list(&self) -> Result<Vec<UserRecord>, ApiError> {
        Ok(self.0.list_users().await?)
    }

    pub async fn create(&self, user: &NewUser) -> Result<UserRecord, ApiError> {
        Ok(self.0.create_user(user).await?)
    }

    /// Sets a user's password (already hashed); their sessions end.
    pub async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), ApiError> {
        Ok(self.0.set_password(user_id, password_hash).await?)
    }

    pub async fn tokens(&self) -> Result<Vec<ApiTokenRecord>, ApiError> {
        Ok(self.0.list_api_tokens().await?)
    }

    /// A new API token for the user, named `name`: the token (to show once) and its record.
    pub async fn issue_token(
        &self,
        user_id: i64,
        name: &str,
    ) -> Result<(String, ApiTokenRecord), ApiError> {
        crate::http::auth::issue_api_token(self.0, user_id, name).await
    }

    pub async fn revoke_token(&self, id: i64) -> Result<(), ApiError> {
        Ok(self.0.revoke_api_token(id).await?)
    }
}
