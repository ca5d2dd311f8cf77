//! The admin page's operations (`wilayah_app::admin::UserAdmin`) through the caller's
//! [`Scoped`] handle: the same door and checks as the `/api/v1/users` and `/api/v1/tokens`
//! endpoints (admins only).

use async_trait::async_trait;
use wilayah_app::admin::{TokenRow, UserAdmin, UserRow};

use crate::http::auth::{UserInput, hashed_password, new_user};
use crate::http::error::ApiError;
use crate::http::scope::Scoped;

pub struct ScopedUserAdmin {
    pub scoped: Scoped,
}

fn message(e: impl Into<ApiError>) -> String {
    match e.into() {
        ApiError::Invalid(v) => format!("{}: {}", v.field, v.message),
        other => other.to_string(),
    }
}

#[async_trait]
impl UserAdmin for ScopedUserAdmin {
    async fn users(&self) -> Result<Vec<UserRow>, String> {
        Ok(self
            .scoped
            .users()
            .map_err(message)?
            .list()
            .await
            .map_err(message)?
            .into_iter()
            .map(|u| UserRow {
                id: u.id,
                email: u.email,
                role: u.role.as_str().into(),
                staff_id: u.staff_id,
            })
            .collect())
    }

    async fn tokens(&self) -> Result<Vec<TokenRow>, String> {
        Ok(self
            .scoped
            .users()
            .map_err(message)?
            .tokens()
            .await
            .map_err(message)?
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                user_id: t.user_id,
                name: t.name,
                revoked: t.revoked_at.is_some(),
            })
            .collect())
    }

    async fn add_user(
        &self,
        email: String,
        password: String,
        role: String,
        staff_id: Option<i64>,
    ) -> Result<(), String> {
        let users = self.scoped.users().map_err(message)?;
        let user = new_user(UserInput::new(email, password, role, staff_id, vec![]))
            .await
            .map_err(message)?;
        users.create(&user).await.map_err(message)?;
        Ok(())
    }

    async fn set_password(&self, user_id: i64, password: String) -> Result<(), String> {
        let users = self.scoped.users().map_err(message)?;
        let hash = hashed_password(password).await.map_err(message)?;
        users.set_password(user_id, &hash).await.map_err(message)
    }

    async fn new_token(&self, user_id: i64, name: String) -> Result<String, String> {
        let (token, _) = self
            .scoped
            .users()
            .map_err(message)?
            .issue_token(user_id, &name)
            .await
            .map_err(message)?;
        Ok(token)
    }

    async fn revoke(&self, token_id: i64) -> Result<(), String> {
        self.scoped
            .users()
            .map_err(message)?
            .revoke_token(token_id)
            .await
            .map_err(message)
    }
}
