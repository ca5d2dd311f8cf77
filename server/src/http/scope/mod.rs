//! The one place that scopes data to the caller. A handler reaches accounts and the rows hanging
//! off them only through a [`Scoped`] handle, which an extractor builds from the signed-in caller
//! the guard found; every read and write method of the handle applies the caller's rows (pure
//! rules in `wilayah_shared::access`) before anything is returned or written. So a handler cannot
//! forget the scope: it has no other way to the data.
//!
//! A record outside the caller's rows answers 404, exactly like one that does not exist, so
//! nobody learns what exists outside their scope; a role that may not use a route at all gets
//! 403 from the guard. Composite views (the customer panel, the history) include a part only when
//! the role may read that resource.
//!
//! The database itself sits behind [`Gate`], whose store is private to this module: outside it
//! there are only the doors the gate opens — [`Scoped`] for a signed-in caller (its parts for
//! territories, planning, field service and user administration each check the role again),
//! [`SignIn`] for the sign-in routes before anyone is known, and [`Gate::system`] for the code
//! that runs as the system (start-up, the CLI, cache warm-up), which no handler calls (the test
//! `handlers_reach_data_only_through_the_gate` in `tests/auth.rs` reads the sources to hold that).

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;
use wilayah_shared::access::{
    AccountScope, Action, Caller, PRIVATE_STAFF_FIELDS, RowScope, authorship_field,
    may_change_owner,
};
use wilayah_shared::account::{
    Account, AccountPanel, AccountQuery, Page, TimelineEntry, ValidAccount, ValidationError,
};
use wilayah_shared::placing::Given;
use wilayah_shared::resource::ResourceSpec;
use wilayah_shared::resources::{CONTACTS, STAFF, TERRITORIES, VISITS};
use wilayah_shared::spatial::IndexedPoint;

use super::error::ApiError;
use crate::AppState;
use crate::db::{RecordPage, ResourceQuery, ServerStore};
use wilayah_app::store::{CallerData, StoreError, UtcRange};
use wilayah_shared::dashboard::{FilterOptions, KpiInput, NearbySearch};
use wilayah_shared::domain::{AccountKind, DashboardSummary};

mod analytics;
mod campaigns;
mod cases;
mod people;
mod pipeline;
mod placing;
mod sales;
mod segments;
mod service;
mod surveys;
mod views;

pub use analytics::{
    AccountFilter, ClvResult, CohortResult, CrossSell, LookAlikeAdvice, Measure,
    ProfitabilityResult, RevenueTrend, RfmResult, ScopedOrders, ScoredOrder,
};
pub use campaigns::OptOut;
pub use cases::{
    CallerMatch, EscalationRun, Intake, Queue, QueueFilter, QueueSort, QueueView,
    REPORTS_PER_CLIENT, escalate_overdue,
};
pub use people::{SignIn, Users};
pub use pipeline::{DayTask, MyDay};
pub use placing::{Merged, RowReport, load_placing, place_rows_as_system};
pub use sales::{NewQuote, QuoteChange};
pub use surveys::{SurveyLink, answered, open_due_surveys};

/// The database, reachable only through the doors this module opens (see the module
/// documentation).
#[derive(Clone)]
pub struct Gate(Arc<dyn ServerStore>);

impl Gate {
    pub fn new(store: Arc<dyn ServerStore>) -> Self {
        Gate(store)
    }

    /// The whole store, for code that acts as the system rather than for a caller: start-up
    /// (migrations, demo data, the spatial index), the CLI and background cache warm-up. Never
    /// from a request handler.
    pub fn system(&self) -> &Arc<dyn ServerStore> {
        &self.0
    }

    /// Whether the database answers (readiness probe; reads no rows).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.0.ping().await
    }
}

/// The accounts a caller sees: all, or these ids (ascending).
#[derive(Debug, Clone)]
pub struct Visible(Option<Vec<i64>>);

impl Visible {
    /// Every account: for internal callers that already checked who may see the result.
    pub fn everything() -> Self {
        Self(None)
    }

    pub fn admits(&self, id: i64) -> bool {
        self.0
            .as_ref()
            .is_none_or(|ids| ids.binary_search(&id).is_ok())
    }

    /// 404 for an account outside the caller's scope.
    pub fn check(&self, id: i64) -> Result<(), ApiError> {
        if self.admits(id) {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    pub fn ids(&self) -> Option<&[i64]> {
        self.0.as_deref()
    }

    /// `ids` (ascending) narrowed to the visible ones; `None` stays "no restriction" only when
    /// everything is visible.
    pub fn narrow(&self, ids: Option<Vec<i64>>) -> Option<Vec<i64>> {
        match (ids, &self.0) {
            (None, visible) => visible.clone(),
            (Some(ids), None) => Some(ids),
            (Some(ids), Some(_)) => Some(ids.into_iter().filter(|id| self.admits(*id)).collect()),
        }
    }
}

/// How far a nearby search reaches: the `k` nearest, or all within `metres` (at most `at_most`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reach {
    Nearest(usize),
    Within { metres: f64, at_most: usize },
}

/// The restriction a row scope puts on a generic resource: rows whose column is one of the ids
/// (`None`: no restriction).
type RowFilter = Option<(&'static str, Vec<i64>)>;

/// The data one caller may reach (see the module documentation).
pub struct Scoped {
    state: AppState,
    caller: Caller,
    visible: OnceCell<Visible>,
}

impl FromRequestParts<AppState> for Scoped {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("sign in first".into()))?;
        Ok(Scoped::new(state.clone(), caller))
    }
}

impl Scoped {
    pub fn new(state: AppState, caller: Caller) -> Self {
        Self {
            state,
            caller,
            visible: OnceCell::new(),
        }
    }

    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The application's shared parts that hold no customer data of their own (settings, the
    /// clock, the route model).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    fn store(&self) -> &Arc<dyn ServerStore> {
        &self.state.store.0
    }

    /// 403 unless the caller's role may do `action` on `resource`.
    pub fn require(&self, resource: &str, action: Action) -> Result<(), ApiError> {
        if self.caller.may(resource, action) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "a {} may not do this",
                self.caller.role
            )))
        }
    }

    /// The accounts this caller sees, read once per request.
    pub async fn visible(&self) -> Result<&Visible, ApiError> {
        self.visible
            .get_or_try_init(|| async {
                Ok::<_, ApiError>(Visible(
                    self.store()
                        .visible_account_ids(&self.caller.account_scope())
                        .await?,
                ))
            })
            .await
    }

    /// 404 unless the caller sees account `id`.
    pub async fn check_account(&self, id: i64) -> Result<(), ApiError> {
        self.visible().await?.check(id)
    }

    // ---- accounts -------------------------------------------------------------------------

    /// A page of the caller's accounts matching `query` (its `ids`, if any, narrowed further).
    pub async fn accounts(&self, query: AccountQuery) -> Result<Page<Account>, ApiError> {
        let query = self.scope_query(query).await?;
        Ok(self.store().list_accounts(&query).await?)
    }

    /// The caller's accounts matching `query` for the map (sort and page ignored).
    pub async fn map_accounts(
        &self,
        query: AccountQuery,
    ) -> Result<Vec<wilayah_shared::domain::MapAccount>, ApiError> {
        let query = self.scope_query(query).await?;
        Ok(self.store().map_accounts_matching(&query).await?)
    }

    /// `query` narrowed to the caller's accounts, for reads that run elsewhere (the map's
    /// cluster cache, exports, KPIs).
    pub async fn scope_query(&self, mut query: AccountQuery) -> Result<AccountQuery, ApiError> {
        query.ids = self.visible().await?.narrow(query.ids.take());
        Ok(query)
    }

    pub async fn account(&self, id: i64) -> Result<Account, ApiError> {
        self.check_account(id).await?;
        Ok(self.store().get_account(id).await?)
    }

    /// The caller's accounts among `ids`, in the order given (others are left out).
    pub async fn accounts_by_ids(&self, ids: &[i64]) -> Result<Vec<Account>, ApiError> {
        let visible = self.visible().await?;
        let ids: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| visible.admits(*id))
            .collect();
        Ok(self.store().accounts_by_ids(&ids).await?)
    }

    /// A scoped caller may only create (or keep after a change) accounts inside their scope: a
    /// rep accounts they own, a regional manager accounts in their region.
    fn may_hold(&self, account: &ValidAccount) -> Result<(), ApiError> {
        if self
            .caller
            .account_scope()
            .may_hold(account.owner_id, account.territory_id)
        {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "a {} may only hold accounts inside their own scope (owner_id / territory_id)",
                self.caller.role
            )))
        }
    }

    /// Creates an account: its territory and owner follow its position (see
    /// `wilayah_shared::placing`), and it must lie inside the caller's scope.
    pub async fn create_account(&self, mut valid: ValidAccount) -> Result<Account, ApiError> {
        let given = Given::of_new(&valid);
        self.place(&mut valid, None, given);
        self.may_hold(&valid)?;
        let _writing = self.state.index.lock_writes().await;
        let account = self.store().create_account(&valid).await?;
        self.state.index.upsert(&account).map_err(index_error)?;
        self.refresh_identities(std::slice::from_ref(&account))
            .await?;
        Ok(account)
    }

    /// Applies a change to account `id` the caller sees, if it is still at `expected_version`:
    /// a moved account's territory and owner follow its position (unless `change` says which
    /// fields it sets explicitly), the changed account must stay in the caller's scope, and
    /// only [`may_change_owner`] moves it between owners.
    pub async fn update_account(
        &self,
        id: i64,
        expected_version: i64,
        change: impl FnOnce(Account) -> Result<(ValidAccount, Given), ApiError>,
    ) -> Result<Account, ApiError> {
        self.check_account(id).await?;
        let _writing = self.state.index.lock_writes().await;
        let current = self.store().get_account(id).await?;
        if current.version != expected_version {
            return Err(ApiError::Conflict {
                current_version: current.version,
            });
        }
        let current_owner = current.owner_id;
        let before = current.clone();
        let (mut valid, given) = change(current)?;
        self.place(&mut valid, Some(&before), given);
        if !may_change_owner(&self.caller, current_owner, valid.owner_id) {
            return Err(ApiError::Forbidden(format!(
                "a {} may not give this account to another owner (only a manager moves accounts \
                 between reps; a rep may claim an account nobody owns)",
                self.caller.role
            )));
        }
        self.may_hold(&valid)?;
        let account = self
            .store()
            .update_account(id, expected_version, &valid)
            .await?;
        self.state.index.upsert(&account).map_err(index_error)?;
        self.refresh_identities(std::slice::from_ref(&account))
            .await?;
        Ok(account)
    }

    pub async fn delete_account(&self, id: i64, version: Option<i64>) -> Result<(), ApiError> {
        self.check_account(id).await?;
        let _writing = self.state.index.lock_writes().await;
        self.store().delete_account(id, version).await?;
        self.state.index.remove(id);
        Ok(())
    }

    /// The customer panel: only the parts the caller's role may read (a planner's panel has no
    /// contacts, deals or cases). `None` outside the caller's accounts, as if it did not exist.
    pub async fn account_panel(&self, id: i64) -> Result<Option<AccountPanel>, ApiError> {
        if !self.visible().await?.admits(id) {
            return Ok(None);
        }
        match self.store().account_panel(id).await {
            Ok(panel) => Ok(Some(panel.visible_to(&self.caller))),
            Err(wilayah_app::store::StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// One account's timeline, with only the lines about resources the role may read.
    pub async fn account_history(
        &self,
        id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<TimelineEntry>, ApiError> {
        self.account(id).await?;
        let entries = self.store().account_history(id, limit, offset).await?;
        Ok(entries
            .into_iter()
            .filter(|entry| entry.readable_by(&self.caller))
            .collect())
    }

    /// The caller's accounts near `centre` that pass `filter`, nearest first, with great-circle
    /// metres: only what the caller may see is a candidate, so "k nearest" means k nearest of
    /// theirs. An account deleted between the index read and the database read is left out.
    pub async fn nearby(
        &self,
        centre: wilayah_shared::LonLat,
        reach: Reach,
        filter: impl Fn(&IndexedPoint) -> bool,
    ) -> Result<Vec<(Account, f64)>, ApiError> {
        let visible = self.visible().await?;
        let matches = |p: &IndexedPoint| visible.admits(p.id) && filter(p);
        let hits = match reach {
            Reach::Nearest(k) => self
                .state
                .index
                .read(|index| index.nearest(centre, k, matches))
                .unwrap_or_default(),
            Reach::Within { metres, at_most } => {
                let mut hits = self
                    .state
                    .index
                    .read(|index| index.within_radius_where(centre, metres, matches))
                    .unwrap_or(Ok(Vec::new()))
                    .map_err(|e| ApiError::bad_field("radius_m", e.to_string()))?;
                hits.truncate(at_most);
                hits
            }
        };
        let ids: Vec<i64> = hits.iter().map(|h| h.point.id).collect();
        let mut by_id: std::collections::HashMap<i64, Account> = self
            .store()
            .accounts_by_ids(&ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(hits
            .into_iter()
            .filter_map(|h| by_id.remove(&h.point.id).map(|a| (a, h.distance_m)))
            .collect())
    }

    /// The day's visits the caller may see, at their accounts, for the map.
    pub async fn map_visits(
        &self,
        range: &wilayah_app::store::UtcRange,
    ) -> Result<Vec<wilayah_shared::account::MapVisit>, ApiError> {
        let mut visits = self.store().map_visits(range).await?;
        match self.caller.row_scope(VISITS.name) {
            RowScope::All => {}
            RowScope::Own { staff_id, .. } => visits.retain(|v| v.technician_id == Some(staff_id)),
            RowScope::ByAccount => {
                let visible = self.visible().await?;
                visits.retain(|v| visible.admits(v.account_id));
            }
            RowScope::Nothing => visits.clear(),
        }
        Ok(visits)
    }

    /// Every account of the caller's matching `query`, for an export file.
    pub async fn export_accounts(&self, query: AccountQuery) -> Result<Vec<Account>, ApiError> {
        let query = self.scope_query(query).await?;
        Ok(self.store().export_accounts(&query).await?)
    }

    /// Imports rows as new accounts (all or none), each inside the caller's scope.
    pub async fn import_accounts(
        &self,
        mut rows: Vec<wilayah_shared::transfer::ImportRow>,
        dry_run: bool,
    ) -> Result<(Vec<Account>, Vec<RowReport>), ApiError> {
        for row in &mut rows {
            let given = Given::of_new(&row.account);
            self.place(&mut row.account, None, given);
        }
        let scope = self.caller.account_scope();
        if let Some(row) = rows
            .iter()
            .find(|r| !scope.may_hold(r.account.owner_id, r.account.territory_id))
        {
            return Err(ApiError::Forbidden(format!(
                "row {}: a {} may only import accounts inside their own scope",
                row.row, self.caller.role
            )));
        }
        let _writing = self.state.index.lock_writes().await;
        let reports = self.import_reports(&rows).await?;
        let accounts = self
            .store()
            .import_accounts(&rows, dry_run, &|_, _| {})
            .await?;
        if !dry_run {
            for account in &accounts {
                self.state.index.upsert(account).map_err(index_error)?;
            }
            self.refresh_identities(&accounts).await?;
        }
        Ok((accounts, reports))
    }

    /// Everything held about one of the caller's customers (privacy export).
    pub async fn customer_data(&self, id: i64) -> Result<Value, ApiError> {
        self.check_account(id).await?;
        Ok(self.store().customer_data(id).await?)
    }

    /// Erases one of the caller's customers' personal data; the account afterwards.
    pub async fn erase_customer(&self, id: i64) -> Result<Account, ApiError> {
        self.check_account(id).await?;
        let _writing = self.state.index.lock_writes().await;
        let account = self.store().erase_customer(id).await?;
        self.state.index.upsert(&account).map_err(index_error)?;
        self.refresh_identities(std::slice::from_ref(&account))
            .await?;
        Ok(account)
    }

    /// Audit entries about the caller's accounts (all entries for an unscoped caller).
    pub async fn audit_entries(
        &self,
        mut query: crate::db::AuditQuery,
    ) -> Result<Vec<crate::db::AuditRecord>, ApiError> {
        query.within_accounts = self.visible().await?.ids().map(<[i64]>::to_vec);
        // Who has which account and token is the admins' business.
        if !self.caller.is_admin() {
            query.hidden_entities = vec!["users", "api_tokens", "sessions"];
        }
        Ok(self.store().audit_entries(&query).await?)
    }

    // ---- generic resources ----------------------------------------------------------------

    async fn row_filter(&self, spec: &ResourceSpec) -> Result<RowFilter, ApiError> {
        Ok(match self.caller.row_scope(spec.name) {
            RowScope::All => None,
            RowScope::Nothing => Some(("id", Vec::new())),
            RowScope::Own { column, staff_id } => Some((column, vec![staff_id])),
            RowScope::ByAccount => self
                .visible()
                .await?
                .ids()
                .map(|ids| ("account_id", ids.to_vec())),
        })
    }

    /// What the caller receives of a record: staff members' own fields only for those who
    /// manage staff and for themselves.
    fn shown(&self, spec: &ResourceSpec, mut record: Map<String, Value>) -> Map<String, Value> {
        if spec.name == STAFF.name {
            let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
            if !self.caller.sees_private_staff_fields(id) {
                for field in PRIVATE_STAFF_FIELDS {
                    record.remove(*field);
                }
            }
        }
        record
    }

    pub async fn records(
        &self,
        spec: &'static ResourceSpec,
        query: &ResourceQuery,
    ) -> Result<RecordPage, ApiError> {
        // Filtering or sorting by a field one may not see would reveal it row by row.
        if spec.name == STAFF.name && !self.caller.sees_private_staff_fields(i64::MIN) {
            let hidden = query
                .filters
                .iter()
                .map(|(field, _)| field.name)
                .chain([query.sort.0])
                .find(|name| PRIVATE_STAFF_FIELDS.contains(name));
            if let Some(name) = hidden {
                return Err(ApiError::bad_field(
                    "sort",
                    format!("staff cannot be filtered or sorted by {name}"),
                ));
            }
        }
        let filter = self.row_filter(spec).await?;
        let within = filter.as_ref().map(|(c, ids)| (*c, ids.as_slice()));
        let mut page = self
            .store()
            .list_records_within(spec, query, within)
            .await?;
        page.items = page
            .items
            .into_iter()
            .map(|r| self.shown(spec, r))
            .collect();
        Ok(page)
    }

    /// A record as stored, or 404 (also when it exists outside the caller's rows).
    async fn stored_record(
        &self,
        spec: &'static ResourceSpec,
        id: i64,
    ) -> Result<Map<String, Value>, ApiError> {
        let record = self.store().get_record(spec, id).await?;
        if admitted(&self.row_filter(spec).await?, &record) {
            Ok(record)
        } else {
            Err(ApiError::NotFound)
        }
    }

    pub async fn record(
        &self,
        spec: &'static ResourceSpec,
        id: i64,
    ) -> Result<Map<String, Value>, ApiError> {
        Ok(self.shown(spec, self.stored_record(spec, id).await?))
    }

    /// Whether a field action may name visit `id`: one among the caller's rows, or one that no
    /// longer exists at all (the store keeps that as a conflict for the technician to see);
    /// 404 for a visit outside the caller's rows.
    pub async fn check_visit_or_gone(&self, id: i64) -> Result<(), ApiError> {
        match self.store().get_record(&VISITS, id).await {
            Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
            Ok(record) if admitted(&self.row_filter(&VISITS).await?, &record) => Ok(()),
            Ok(_) => Err(ApiError::NotFound),
        }
    }

    /// A record about to be written must stay inside the caller's rows; a reference outside
    /// them reads as a reference to nothing.
    async fn check_write_scope(
        &self,
        spec: &'static ResourceSpec,
        record: &Map<String, Value>,
    ) -> Result<(), ApiError> {
        let filter = self.row_filter(spec).await?;
        if admitted(&filter, record) {
            return Ok(());
        }
        let field = match &filter {
            Some((column, _)) => spec.field(column).map_or("id", |f| f.name),
            None => "id",
        };
        Err(ApiError::Invalid(ValidationError::new(
            field,
            "refers to a record that does not exist",
        )))
    }

    /// Creates a record from a request body: fields naming the acting staff member are the
    /// caller's, whatever the body says.
    pub async fn create_record(
        &self,
        spec: &'static ResourceSpec,
        mut body: Value,
    ) -> Result<Map<String, Value>, ApiError> {
        if let (Some(field), Some(object)) = (authorship_field(spec.name), body.as_object_mut()) {
            object.insert(field.into(), self.caller.acting_staff_id().into());
        }
        stop_case_clocks(spec, None, &mut body);
        // Validation checks geometry (territories): off the async workers.
        let valid = {
            let body = body.clone();
            super::error::off_the_workers(move || spec.validate_create(&body)).await??
        };
        if let Some(record) = body.as_object() {
            self.check_write_scope(spec, record).await?;
        }
        let created = self.store().create_record(spec, &valid).await?;
        self.after_record_write(spec, &[&created]).await?;
        Ok(self.shown(spec, created))
    }

    /// Keeps what placing and duplicate finding hold in step with a generic write: territories
    /// (and staff, whose deletion clears territory owners) reload the territory index; a
    /// contact's accounts (before and after) get their duplicate keys re-read.
    async fn after_record_write(
        &self,
        spec: &'static ResourceSpec,
        records: &[&Map<String, Value>],
    ) -> Result<(), ApiError> {
        if spec.name == TERRITORIES.name || spec.name == STAFF.name {
            self.reload_territories().await?;
        } else if spec.name == CONTACTS.name {
            let mut ids: Vec<i64> = records
                .iter()
                .filter_map(|r| r.get("account_id").and_then(Value::as_i64))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                self.refresh_identity_of(id).await?;
            }
        }
        Ok(())
    }

    pub async fn update_record(
        &self,
        spec: &'static ResourceSpec,
        id: i64,
        mut body: Value,
    ) -> Result<Map<String, Value>, ApiError> {
        if !spec.versioned {
            return Err(ApiError::MethodNotAllowed(format!(
                "{} are append-only: add a new one instead",
                spec.name
            )));
        }
        let expected = body.get("version").and_then(Value::as_i64).ok_or_else(|| {
            ValidationError::new("version", "is required: the version you last read")
        })?;
        let current = self.stored_record(spec, id).await?;
        // Authorship is not for changing: whoever opened a case stays its author.
        if let (Some(field), Some(object)) = (authorship_field(spec.name), body.as_object_mut()) {
            object.remove(field);
        }
        stop_case_clocks(spec, Some(&current), &mut body);
        if let Some(changes) = body.as_object() {
            let mut after = current.clone();
            after.extend(changes.clone());
            self.check_write_scope(spec, &after).await?;
        }
        if current.get("version").and_then(Value::as_i64) != Some(expected) {
            let current_version = current["version"].as_i64().unwrap_or_default();
            return Err(ApiError::Conflict { current_version });
        }
        let valid = {
            let (current, body) = (current.clone(), body.clone());
            super::error::off_the_workers(move || spec.validate_patch(&current, &body)).await??
        };
        let updated = self
            .store()
            .update_record(spec, id, expected, &current, &valid)
            .await?;
        self.after_record_write(spec, &[&current, &updated]).await?;
        Ok(self.shown(spec, updated))
    }

    pub async fn delete_record(
        &self,
        spec: &'static ResourceSpec,
        id: i64,
        version: Option<i64>,
    ) -> Result<(), ApiError> {
        let stored = self.stored_record(spec, id).await?;
        if spec.name == STAFF.name {
            // Their accounts lose their owner in the database; the index must follow in step.
            let _writing = self.state.index.lock_writes().await;
            self.store().delete_record(spec, id, version).await?;
            self.state.index.clear_owner(id);
        } else {
            self.store().delete_record(spec, id, version).await?;
        }
        self.after_record_write(spec, &[&stored]).await
    }

    /// Whether the caller's account scope is everything (admins, planners, managers without a
    /// region): such callers may act on any technician's day.
    pub fn sees_all_accounts(&self) -> bool {
        self.caller.account_scope() == AccountScope::All
    }
}

/// A case's SLA clock stops as its status moves (`wilayah_shared::service::clock_stops`): set
/// here on every write path of cases, whatever the body says about them.
fn stop_case_clocks(spec: &ResourceSpec, stored: Option<&Map<String, Value>>, body: &mut Value) {
    if spec.name != wilayah_shared::resources::CASES.name {
        return;
    }
    let Some(object) = body.as_object_mut() else {
        return;
    };
    object.remove("responded_at");
    object.remove("resolved_at");
    let to = object
        .get("status")
        .and_then(Value::as_str)
        .or_else(|| stored.and_then(|s| s.get("status")).and_then(Value::as_str))
        .unwrap_or("new")
        .to_owned();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (field, value) in wilayah_shared::service::clock_stops(stored, &to, &now) {
        object.insert(field.into(), value);
    }
}

/// Whether a record (as stored, or as about to be written) lies inside the restriction.
fn admitted(filter: &RowFilter, record: &Map<String, Value>) -> bool {
    match filter {
        None => true,
        Some((column, ids)) => record
            .get(*column)
            .and_then(Value::as_i64)
            .is_some_and(|v| ids.contains(&v)),
    }
}

fn index_error(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::Store(wilayah_app::store::StoreError::Database(e.into()))
}

/// A refusal of the scoped handle, as the UI's server functions receive it.
fn store_error(e: ApiError) -> StoreError {
    match e {
        ApiError::NotFound => StoreError::NotFound,
        ApiError::Store(e) => e,
        ApiError::Invalid(v) => StoreError::Invalid {
            field: v.field.to_owned(),
            message: v.message,
        },
        ApiError::BadRequest { message, field } => StoreError::Invalid {
            field: field.unwrap_or("request").to_owned(),
            message,
        },
        ApiError::Forbidden(message) => StoreError::Forbidden(message),
        ApiError::Conflict { current_version } => StoreError::Conflict { current_version },
        ApiError::Duplicate { field } => StoreError::Duplicate { field },
        other => StoreError::Database(other.to_string().into()),
    }
}

#[async_trait]
impl CallerData for Scoped {
    async fn dashboard_summary(&self, today: &UtcRange) -> Result<DashboardSummary, StoreError> {
        let mut summary = self.store().dashboard_summary(today).await?;
        let visible = self.visible().await.map_err(store_error)?;
        // Someone who sees part of the accounts counts that part (and its visits).
        if let Some(ids) = visible.ids() {
            let query = AccountQuery {
                ids: Some(ids.to_vec()),
                ..AccountQuery::default()
            };
            let accounts = self.store().map_accounts_matching(&query).await?;
            let count = |kind| accounts.iter().filter(|a| a.kind == kind).count() as i64;
            summary.customers = count(AccountKind::Customer);
            summary.prospects = count(AccountKind::Prospect);
            summary.visits_today = self.map_visits(today).await.map_err(store_error)?.len() as i64;
        }
        Ok(summary)
    }

    async fn account_panel(&self, id: i64) -> Result<Option<AccountPanel>, StoreError> {
        Scoped::account_panel(self, id).await.map_err(store_error)
    }

    async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        match Scoped::account(self, id).await {
            Ok(account) => Ok(Some(account)),
            Err(ApiError::NotFound) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    async fn nearby(
        &self,
        centre: wilayah_shared::LonLat,
        search: NearbySearch,
        kind: AccountKind,
        exclude: Option<i64>,
    ) -> Result<Vec<(Account, f64)>, StoreError> {
        let reach = match search.clamped() {
            NearbySearch::Nearest { k } => Reach::Nearest(k as usize),
            NearbySearch::Within { metres } => Reach::Within {
                metres,
                at_most: NearbySearch::MAX_HITS,
            },
        };
        Scoped::nearby(self, centre, reach, |p| {
            p.attrs.kind == kind && Some(p.id) != exclude
        })
        .await
        .map_err(store_error)
    }

    async fn filter_options(&self) -> Result<FilterOptions, StoreError> {
        let mut options = self.store().filter_options().await?;
        let visible = self.visible().await.map_err(store_error)?;
        // Segments and tags are the caller's accounts' own, not the organisation's.
        if let Some(ids) = visible.ids() {
            let accounts = self.store().accounts_by_ids(ids).await?;
            let segments: std::collections::BTreeSet<String> =
                accounts.iter().filter_map(|a| a.segment.clone()).collect();
            let tags: std::collections::BTreeSet<String> = accounts
                .iter()
                .flat_map(|a| a.tags.iter().cloned())
                .collect();
            options.segments = segments.into_iter().collect();
            options.tags = tags.into_iter().collect();
        }
        Ok(options)
    }

    async fn kpi_inputs(
        &self,
        query: AccountQuery,
        period: &UtcRange,
    ) -> Result<Vec<KpiInput>, StoreError> {
        let query = self.scope_query(query).await.map_err(store_error)?;
        self.store().kpi_inputs(&query, period).await
    }

    async fn list_accounts(&self, query: AccountQuery) -> Result<Page<Account>, StoreError> {
        self.accounts(query).await.map_err(store_error)
    }

    async fn create_record(
        &self,
        spec: &'static ResourceSpec,
        body: Value,
    ) -> Result<Map<String, Value>, StoreError> {
        Scoped::create_record(self, spec, body)
            .await
            .map_err(store_error)
    }
}
