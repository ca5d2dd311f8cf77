//! Saved views of the accounts list through the handle: a caller sees the views they saved and
//! the shared ones; only the one who saved a view, or an admin, deletes it (someone else's
//! private view reads as one that does not exist, 404; a shared view of someone else is 403).
//! Views hold a list's query string, no customer data, so they are not scoped by account.

use wilayah_shared::access::{Action, Role};
use wilayah_shared::views::{NewView, SavedView};

use super::Scoped;
use crate::http::error::ApiError;
use wilayah_app::store::StoreError;

impl Scoped {
    /// The caller's views and the shared ones.
    pub async fn saved_views(&self) -> Result<Vec<SavedView>, ApiError> {
        self.require("accounts", Action::Read)?;
        Ok(self.store().views_for(self.caller.user_id).await?)
    }

    /// Saves a view as the caller's.
    pub async fn save_view(&self, view: NewView) -> Result<SavedView, ApiError> {
        self.require("accounts", Action::Read)?;
        let view = view.validate()?;
        Ok(self.store().create_view(self.caller.user_id, &view).await?)
    }

    /// Deletes a view the caller saved (an admin: any view).
    pub async fn delete_view(&self, id: i64) -> Result<(), ApiError> {
        self.require("accounts", Action::Read)?;
        let owner = self.store().view_owner(id).await?;
        if owner != self.caller.user_id && self.caller.role != Role::Admin {
            let shared = self
                .store()
                .views_for(self.caller.user_id)
                .await?
                .iter()
                .any(|v| v.id == id);
            return Err(if shared {
                ApiError::Forbidden("only the one who saved a view, or an admin, deletes it".into())
            } else {
                ApiError::NotFound
            });
        }
        match self.store().delete_view(id).await {
            Err(StoreError::NotFound) => Err(ApiError::NotFound),
            other => Ok(other?),
        }
    }
}
