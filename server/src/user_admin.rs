//! The admin page's operations (`wilayah_app::admin::UserAdmin`) over the user store, with the
//! same checks as the `/api/v1/users` and `/api/v1/tokens` endpoints.

use std::sync::Arc;

use async_trait::async_trait;
use wilayah_app::admin::{TokenRow, UserAdmin, UserRow};

use crate::db::ServerStore;
use crate::http::auth::{UserInput, hashed_password, issue_api_token, new_user};
use crate::http::error::ApiError;

pub struct StoreUserAdmin {
    pub store: Arc<dyn ServerStore>,
}

fn message(e: impl Into<ApiError>) -> String {
    match e.into() {
        ApiError::Invalid(v) => format!("{}: {}", v.field, v.message),
        other => other.to_string(),
    }
}

#[async_trait]
impl UserAdmin for StoreUserAdmin {
    async fn users(&self) -> Result<Vec<UserRow>, String> {
        Ok(self
            .store
            .list_users()
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
            .store
            .list_api_tokens()
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
        let user = new_user(UserInput::new(email, password, role, staff_id, vec![]))
            .await
            .map_err(message)?;
        self.store.create_user(&user).await.map_err(message)?;
        Ok(())
    }

    async fn set_password(&self, user_id: i64, password: String) -> Result<(), String> {
        let hash = hashed_password(password).await.map_err(message)?;
        self.store
            .set_password(user_id, &hash)
            .await
            .map_err(message)
    }

    async fn new_token(&self, user_id: i64, name: String) -> Result<String, String> {
        let (token, _) = issue_api_token(&*self.store, user_id, &name)
            .await
            .map_err(message)?;
        Ok(token)
    }

    async fn revoke(&self, token_id: i64) -> Result<(), String> {
        self.store.revoke_api_token(token_id).await.map_err(message)
    }
}
