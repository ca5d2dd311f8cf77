//! The parts of the handle beyond accounts and generic records: territories (reference data
//! every role reads), territory planning, field service and route planning. Each method checks
//! the caller's role again, as the route's policy line does, so a handler that is wired to the
//! wrong rule still gets nothing it may not have.

use chrono::{DateTime, Utc};
use wilayah_shared::LonLat;
use wilayah_shared::access::{Action, Role, along_the_day};
use wilayah_shared::account::ValidationError;
use wilayah_shared::domain::AccountKind;
use wilayah_shared::field::{ActionResult, Checked, FieldAction};
use wilayah_shared::resource::Validated;
use wilayah_shared::resources::VISITS;
use wilayah_shared::transfer::{Territory, TerritoryRow};

use super::Scoped;
use crate::db::{
    ActionFilter, FieldVisit, PlanningStore, PublishOutcome, RecordPage, ResourceQuery, StaffName,
    Technician, VisitToPlan,
};
use crate::http::error::ApiError;
use wilayah_shared::spatial::clusters::AccountClusters;

impl Scoped {
    // ---- territories ----------------------------------------------------------------------

    /// A territory's boundary as GeoJSON text (territories are reference data every role
    /// reads: they frame the map and the filters).
    pub async fn territory_geometry(&self, id: i64) -> Result<String, ApiError> {
        self.require("territories", Action::Read)?;
        Ok(self.store().territory_geometry(id).await?)
    }

    /// Territories, for the territories feed of the map (every role sees the whole map's
    /// territories).
    pub async fn territories(&self, query: &ResourceQuery) -> Result<RecordPage, ApiError> {
        self.require("territories", Action::Read)?;
        Ok(self
            .store()
            .list_records(&wilayah_shared::resources::TERRITORIES, query)
            .await?)
    }

    /// Staff names (no other field), to label territories with their rep.
    pub async fn territory_owner_names(&self) -> Result<Vec<StaffName>, ApiError> {
        self.require("territories", Action::Read)?;
        Ok(self.store().staff_names().await?)
    }

    pub async fn export_territories(&self) -> Result<Vec<Territory>, ApiError> {
        self.require("territories", Action::Export)?;
        Ok(self.store().export_territories().await?)
    }

    /// Imports territories (all or none; names must be new).
    pub async fn import_territories(
        &self,
        rows: &[TerritoryRow],
        dry_run: bool,
    ) -> Result<Vec<Territory>, ApiError> {
        self.require("territories", Action::Import)?;
        let territories = self
            .store()
            .import_territories(rows, dry_run, &|_, _| {})
            .await?;
        if !dry_run {
            self.reload_territories().await?;
        }
        Ok(territories)
    }

    /// Territory planning (drafts, publishing, auto-assignment): the planner's desk, which
    /// sees every account by design. Refused to roles that may not change territories.
    pub fn planning(&self) -> Result<&dyn PlanningStore, ApiError> {
        self.require("territories", Action::Update)?;
        Ok(self.store().as_ref())
    }

    /// Publishes a draft still at `version`: accounts move to the territories' reps, and the
    /// spatial index follows in the same step.
    pub async fn publish_draft(
        &self,
        id: i64,
        version: i64,
        actor: &str,
    ) -> Result<PublishOutcome, ApiError> {
        let planning = self.planning()?;
        let _writing = self.state.index.lock_writes().await;
        let outcome = planning
            .publish_draft(id, version, actor, Utc::now())
            .await?;
        self.apply_owners(&outcome);
        self.reload_territories().await?;
        Ok(outcome)
    }

    /// Every account to the published territory containing it (with `dry_run`, only what would
    /// change).
    pub async fn auto_assign(
        &self,
        actor: &str,
        dry_run: bool,
    ) -> Result<PublishOutcome, ApiError> {
        let planning = self.planning()?;
        let _writing = self.state.index.lock_writes().await;
        let outcome = planning
            .auto_assign_accounts(actor, dry_run, Utc::now())
            .await?;
        if !dry_run {
            self.apply_owners(&outcome);
        }
        Ok(outcome)
    }

    fn apply_owners(&self, outcome: &PublishOutcome) {
        let owners: Vec<(i64, Option<i64>)> = outcome
            .reassigned
            .iter()
            .filter(|c| c.from_owner != c.to_owner)
            .map(|c| (c.account_id, c.to_owner))
            .collect();
        self.state.index.set_owners(&owners);
    }

    // ---- the map --------------------------------------------------------------------------

    /// The caller's accounts matching `query`, clustered for the map (cached per filter).
    pub async fn map_clusters(
        &self,
        query: wilayah_shared::account::AccountQuery,
    ) -> Result<std::sync::Arc<AccountClusters>, ApiError> {
        let query = self.scope_query(query).await?;
        Ok(self
            .state
            .map_feed
            .clusters(self.store().as_ref(), &query)
            .await?)
    }

    // ---- field service and routes ---------------------------------------------------------

    /// The technicians (names and home bases: whom a dispatcher plans and whom a technician's
    /// own day belongs to).
    pub async fn technicians(&self) -> Result<Vec<Technician>, ApiError> {
        self.require("visits", Action::Read)?;
        Ok(self.store().technicians().await?)
    }

    /// A technician works only their own day: someone else's reads as one that does not exist.
    /// Dispatchers may look at any technician's day (what they then see of it is narrowed to
    /// their accounts by the caller of this).
    pub fn check_own_day(&self, technician_id: i64) -> Result<(), ApiError> {
        self.require("visits", Action::Read)?;
        if self.caller.role == Role::Technician && self.caller.staff_id != Some(technician_id) {
            return Err(ApiError::NotFound);
        }
        Ok(())
    }

    /// Every visit of a technician's day whose day the caller may work ([`Self::check_own_day`]).
    pub async fn technician_visits(
        &self,
        technician_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FieldVisit>, ApiError> {
        self.check_own_day(technician_id)?;
        Ok(self
            .store()
            .technician_visits(technician_id, from, to)
            .await?)
    }

    /// The open visits between two instants that route planning for this caller starts from:
    /// for a technician, their own and the unassigned ones; for anyone else, those at the
    /// accounts the caller sees.
    pub async fn open_visits(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<VisitToPlan>, ApiError> {
        self.require("visits", Action::Read)?;
        let mut visits = self.store().open_visits_between(from, to).await?;
        if self.caller.role == Role::Technician {
            let own = self.caller.staff_id;
            visits.retain(|v| v.technician_id.is_none() || v.technician_id == own);
        } else {
            let visible = self.visible().await?;
            visits.retain(|v| visible.admits(v.account_id));
        }
        Ok(visits)
    }

    /// The open visits of one technician's day whose day the caller may work, whatever account
    /// they are at: the technician's route is planned whole, and callers narrow what they show.
    pub async fn technician_open_visits(
        &self,
        technician_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<VisitToPlan>, ApiError> {
        self.check_own_day(technician_id)?;
        let mut visits = self.store().open_visits_between(from, to).await?;
        visits.retain(|v| v.technician_id == Some(technician_id));
        Ok(visits)
    }

    /// Records a technician's action on a visit the caller may act on (or on one that no
    /// longer exists, which the store keeps as a conflict to show).
    pub async fn record_field_action(
        &self,
        action: &FieldAction,
        checked: &Checked,
        recorded_at: DateTime<Utc>,
    ) -> Result<ActionResult, ApiError> {
        self.require("visits", Action::Update)?;
        self.check_visit_or_gone(action.visit_id).await?;
        Ok(self
            .store()
            .record_field_action(action, checked, recorded_at)
            .await?)
    }

    /// Recorded field actions matching `filter`, narrowed to the caller's: a technician's
    /// own, a dispatcher's at their accounts.
    pub async fn field_actions(
        &self,
        mut filter: ActionFilter,
    ) -> Result<Vec<ActionResult>, ApiError> {
        self.require("visits", Action::Read)?;
        if self.caller.role == Role::Technician {
            // A technician user not linked to a staff member has no actions of their own.
            let Some(own) = self.caller.staff_id else {
                return Ok(Vec::new());
            };
            filter.technician_id = Some(own);
        } else {
            filter.account_ids = self.visible().await?.narrow(filter.account_ids.take());
        }
        Ok(self.store().field_actions(&filter).await?)
    }

    /// Accounts of `kind` among `ids` that route suggestions may name: a technician hears of
    /// prospects along their own day, whoever owns them (what a field visit may pick up);
    /// anyone else of the accounts they see.
    pub async fn accounts_near_own_route(
        &self,
        ids: &[i64],
        kind: AccountKind,
    ) -> Result<Vec<wilayah_shared::account::Account>, ApiError> {
        self.require("visits", Action::Read)?;
        let mut accounts = if self.caller.role == Role::Technician {
            if kind != AccountKind::Prospect {
                return Ok(Vec::new());
            }
            self.store().accounts_by_ids(ids).await?
        } else {
            self.accounts_by_ids(ids).await?
        };
        accounts.retain(|a| a.kind == kind);
        Ok(accounts)
    }

    /// Adds a visit at `account_id` to a technician's day the caller may work. A technician
    /// may add to their own day only a prospect along it, or a customer they already serve
    /// (one of their accounts: the at-risk list offers these) along it ([`along_the_day`]:
    /// what the technician view offers); a dispatcher any account they see. Anything else
    /// reads as an account that does not exist.
    pub async fn create_visit(
        &self,
        technician: &Technician,
        account_id: i64,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        valid: &Validated,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        self.check_own_day(technician.id)?;
        let nowhere = || {
            ApiError::Invalid(ValidationError::new(
                "account_id",
                "refers to a record that does not exist",
            ))
        };
        if self.caller.role == Role::Technician {
            self.check_along_day(technician, account_id, from, to)
                .await
                .map_err(|_| nowhere())?;
        } else {
            self.require(VISITS.name, Action::Create)?;
            self.account(account_id).await.map_err(|_| nowhere())?;
        }
        if valid
            .record
            .get("account_id")
            .and_then(serde_json::Value::as_i64)
            != Some(account_id)
        {
            return Err(nowhere());
        }
        Ok(self.store().create_record(&VISITS, valid).await?)
    }

    async fn check_along_day(
        &self,
        technician: &Technician,
        account_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let served = self.visible().await?.admits(account_id);
        let account = self
            .store()
            .accounts_by_ids(&[account_id])
            .await?
            .into_iter()
            .next()
            .filter(|a| served || a.kind == AccountKind::Prospect)
            .ok_or(ApiError::NotFound)?;
        let at = LonLat::new(account.lon, account.lat).map_err(|_| ApiError::NotFound)?;
        let mut places: Vec<LonLat> = self
            .technician_visits(technician.id, from, to)
            .await?
            .iter()
            .filter_map(|v| LonLat::new(v.lon, v.lat).ok())
            .collect();
        if let (Some(lon), Some(lat)) = (technician.home_lon, technician.home_lat)
            && let Ok(home) = LonLat::new(lon, lat)
        {
            places.push(home);
        }
        if along_the_day(&places, at) {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }
}
