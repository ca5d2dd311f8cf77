//! Sign-in (before anyone is known) and user administration (admins only): the two doors to
//! the user tables, which hold no customer data.

use chrono::{DateTime, Utc};

use super::{Gate, Scoped};
use crate::db::{ApiTokenRecord, NewUser, ServerStore, UserRecord};
use crate::http::error::ApiError;

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
