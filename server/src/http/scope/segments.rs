//! Segments through the handle (issue 16 item 1). A segment's definition holds no customer data:
//! whoever may read segments reads every definition. Its members are computed per caller, from
//! the caller's accounts only (a regional manager's region, everything for an admin), so two
//! callers of one segment may see different members.

use std::collections::HashMap;

use wilayah_shared::LonLat;
use wilayah_shared::access::Action;
use wilayah_shared::account::{Account, ValidationError};
use wilayah_shared::segments::{self, Definition, NewSegment, Profile, Segment};
use wilayah_shared::spatial::PointIndex;

use super::Scoped;
use crate::http::error::ApiError;

const SEGMENTS: &str = "segments";

impl Scoped {
    /// Every saved segment.
    pub async fn segments(&self) -> Result<Vec<Segment>, ApiError> {
        self.require(SEGMENTS, Action::Read)?;
        Ok(self.store().segments().await?)
    }

    pub async fn segment(&self, id: i64) -> Result<Segment, ApiError> {
        self.require(SEGMENTS, Action::Read)?;
        Ok(self.store().segment(id).await?)
    }

    /// Saves a segment as the caller's.
    pub async fn create_segment(&self, segment: NewSegment) -> Result<Segment, ApiError> {
        self.require(SEGMENTS, Action::Create)?;
        let segment = segment.validate()?;
        Ok(self
            .store()
            .create_segment(self.caller.user_id, &segment)
            .await?)
    }

    /// Changes segment `id` if it is still at the version the body names.
    pub async fn update_segment(&self, id: i64, segment: NewSegment) -> Result<Segment, ApiError> {
        self.require(SEGMENTS, Action::Update)?;
        let segment = segment.validate()?;
        let version = segment
            .version
            .ok_or_else(|| ValidationError::new("version", "is required"))?;
        Ok(self.store().update_segment(id, version, &segment).await?)
    }

    pub async fn delete_segment(&self, id: i64) -> Result<(), ApiError> {
        self.require(SEGMENTS, Action::Delete)?;
        Ok(self.store().delete_segment(id).await?)
    }

    /// The caller's accounts that are members of `definition` now, by id: the attribute filter
    /// narrows them in the database, the stored scores and orders are read when the criteria
    /// need them, and the area is evaluated with the spatial index
    /// ([`wilayah_shared::segments::members`]).
    pub async fn segment_members(&self, definition: &Definition) -> Result<Vec<Account>, ApiError> {
        self.require(SEGMENTS, Action::Read)?;
        let criteria = &definition.criteria;
        let accounts = self
            .export_accounts(criteria.filter.to_account_query(u32::MAX, 0))
            .await?;
        let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
        let churn: HashMap<i64, f64> = if criteria.needs_scores() {
            self.store()
                .stored_scores(Some(&ids))
                .await?
                .into_iter()
                .map(|s| (s.account_id, 1.0 - s.p_alive))
                .collect()
        } else {
            HashMap::new()
        };
        let mut last_order: HashMap<i64, chrono::NaiveDate> = HashMap::new();
        if criteria.needs_orders() {
            for order in self.store().order_figures(Some(&ids)).await? {
                let day = last_order.entry(order.account).or_insert(order.day);
                *day = (*day).max(order.day);
            }
        }
        let stages: Vec<String> = criteria.filter.stage.iter().cloned().collect();
        let profiles: HashMap<i64, Profile> = accounts
            .iter()
            .filter_map(|a| {
                let profile = Profile {
                    id: a.id,
                    position: LonLat::new(a.lon, a.lat).ok()?,
                    kind: a.kind,
                    status: a.status,
                    owner_id: a.owner_id,
                    territory_id: a.territory_id,
                    segment: a.segment.clone(),
                    tags: a.tags.clone(),
                    // The database already kept only accounts with a deal at the stage asked.
                    stages: stages.clone(),
                    churn_risk: churn.get(&a.id).copied(),
                    last_order: last_order.get(&a.id).copied(),
                };
                Some((a.id, profile))
            })
            .collect();
        let territories = self.state.index.territories();
        let evaluate = |index: &PointIndex| {
            segments::members(definition, &profiles, index, territories.as_deref())
        };
        let found = match self.state.index.read(evaluate) {
            Some(found) => found,
            // Before the index is loaded: one of the caller's accounts alone.
            None => {
                let points = profiles.values().map(Profile::indexed_point).collect();
                let index = PointIndex::bulk_load(points)
                    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
                evaluate(&index)
            }
        }
        .map_err(|e| ApiError::Invalid(ValidationError::new("area", e.to_string())))?;
        let mut by_id: HashMap<i64, Account> = accounts.into_iter().map(|a| (a.id, a)).collect();
        Ok(found
            .into_iter()
            .filter_map(|id| by_id.remove(&id))
            .collect())
    }
}
