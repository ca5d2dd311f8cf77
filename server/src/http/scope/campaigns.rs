//! Campaigns through the handle (issue 16 item 2). A campaign's own fields hold no customer data;
//! its recipients do, so the caller sees only the recipients at their own accounts. Launching
//! takes the target segment's members among the caller's accounts (a regional manager launches
//! to their region), and freezes them in one transaction (`db::campaigns`).

use wilayah_shared::access::Action;
use wilayah_shared::account::ValidationError;
use wilayah_shared::campaigns::{Campaign, NewCampaign, Recipient};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::Scoped;
use crate::AppState;
use crate::http::error::ApiError;
use wilayah_app::store::StoreError;

const CAMPAIGNS: &str = "campaigns";

impl Scoped {
    pub async fn campaigns(&self) -> Result<Vec<Campaign>, ApiError> {
        self.require(CAMPAIGNS, Action::Read)?;
        Ok(self.store().campaigns().await?)
    }

    pub async fn campaign(&self, id: i64) -> Result<Campaign, ApiError> {
        self.require(CAMPAIGNS, Action::Read)?;
        Ok(self.store().campaign(id).await?)
    }

    /// 422 naming `segment_id` unless the segment exists.
    async fn check_segment(&self, id: i64) -> Result<(), ApiError> {
        match self.store().segment(id).await {
            Err(StoreError::NotFound) => Err(ValidationError::new(
                "segment_id",
                format!("segment {id} does not exist"),
            )
            .into()),
            other => other.map(|_| ()).map_err(ApiError::from),
        }
    }

    /// Creates a draft campaign run by the caller.
    pub async fn create_campaign(&self, campaign: NewCampaign) -> Result<Campaign, ApiError> {
        self.require(CAMPAIGNS, Action::Create)?;
        let campaign = campaign.validate()?;
        self.check_segment(campaign.segment_id).await?;
        Ok(self
            .store()
            .create_campaign(self.caller.user_id, &campaign)
            .await?)
    }

    /// Changes a draft still at the version the body names.
    pub async fn update_campaign(
        &self,
        id: i64,
        campaign: NewCampaign,
    ) -> Result<Campaign, ApiError> {
        self.require(CAMPAIGNS, Action::Update)?;
        let campaign = campaign.validate()?;
        let version = campaign
            .version
            .ok_or_else(|| ValidationError::new("version", "is required"))?;
        self.store().campaign(id).await?;
        self.check_segment(campaign.segment_id).await?;
        Ok(self.store().update_campaign(id, version, &campaign).await?)
    }

    pub async fn delete_campaign(&self, id: i64) -> Result<(), ApiError> {
        self.require(CAMPAIGNS, Action::Delete)?;
        Ok(self.store().delete_campaign(id).await?)
    }

    /// Launches a draft still at `version`: its segment's members among the caller's accounts
    /// now, frozen with the reason each one left out was left out.
    pub async fn launch_campaign(&self, id: i64, version: i64) -> Result<Campaign, ApiError> {
        self.require(CAMPAIGNS, Action::Update)?;
        let campaign = self.store().campaign(id).await?;
        let segment = match campaign.segment_id {
            Some(segment) => self.store().segment(segment).await.map_err(|e| match e {
                StoreError::NotFound => ApiError::from(ValidationError::new(
                    "segment_id",
                    "the campaign's segment was deleted",
                )),
                e => e.into(),
            })?,
            None => {
                return Err(ValidationError::new(
                    "segment_id",
                    "the campaign's segment was deleted",
                )
                .into());
            }
        };
        let members: Vec<i64> = self
            .segment_members(&segment.definition)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).map_err(|e| ApiError::Unavailable(e.to_string()))?;
        let launched = self
            .store()
            .launch_campaign(id, version, &members, u64::from_le_bytes(seed))
            .await?;
        self.state.mailer.wake();
        Ok(launched)
    }

    /// The campaign's frozen recipients at the caller's accounts.
    pub async fn campaign_recipients(&self, id: i64) -> Result<Vec<Recipient>, ApiError> {
        self.require(CAMPAIGNS, Action::Read)?;
        self.store().campaign(id).await?;
        let visible = self.visible().await?;
        Ok(self.store().campaign_recipients(id, visible.ids()).await?)
    }
}

/// The unsubscribe link's door: records the opt-out a recipient's token stands for, nothing
/// else (whoever holds the link is the recipient; no one signs in).
pub struct OptOut {
    state: AppState,
}

impl FromRequestParts<AppState> for OptOut {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(OptOut {
            state: state.clone(),
        })
    }
}

impl OptOut {
    /// `false` for a token no recipient has.
    pub async fn unsubscribe(&self, token: &str) -> Result<bool, ApiError> {
        if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        let today = crate::local_date(self.state.utc_offset);
        Ok(self.state.store.0.unsubscribe(token, today).await?)
    }
}
