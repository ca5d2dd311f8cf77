//! Leads, the pipeline board and follow-ups through the handle: a lead moves or converts only
//! when it is one of the caller's accounts, the board shows the deals of the caller's accounts,
//! and "my day" lists the caller's own tasks and today's visits at their accounts. The rules
//! are `wilayah_shared::pipeline`'s; the store writes what they decide, one transaction each.

use serde::Serialize;
use serde_json::{Map, Value, json};
use wilayah_shared::access::Action;
use wilayah_shared::account::{Account, MapVisit};
use wilayah_shared::pipeline::{
    BoardColumn, BoardFilter, LeadMove, StageProbability, TASKS, board, check_convertible,
    check_lead_move, check_probabilities,
};
use wilayah_shared::resource::SqlValue;
use wilayah_shared::resources::OPPORTUNITIES;

use super::{Scoped, index_error};
use crate::db::{FirstDeal, ResourceQuery};
use crate::http::error::ApiError;

/// A task on "my day", with its account's name.
#[derive(Debug, Clone, Serialize)]
pub struct DayTask {
    #[serde(flatten)]
    pub task: Map<String, Value>,
    pub account_name: String,
}

/// A rep's day: overdue tasks (oldest first), today's tasks, today's visits at their accounts.
#[derive(Debug, Clone, Serialize)]
pub struct MyDay {
    pub date: String,
    pub overdue: Vec<DayTask>,
    pub today: Vec<DayTask>,
    pub visits: Vec<MapVisit>,
}

impl Scoped {
    /// Moves one of the caller's leads along the lead flow, with its history line.
    pub async fn move_lead(&self, id: i64, change: &LeadMove) -> Result<Account, ApiError> {
        self.require("leads", Action::Update)?;
        let current = self.account(id).await?;
        if current.version != change.version {
            return Err(ApiError::Conflict {
                current_version: current.version,
            });
        }
        let step = check_lead_move(
            current.kind == wilayah_shared::domain::AccountKind::Prospect,
            current.status,
            change,
        )?;
        let _writing = self.state.index.lock_writes().await;
        let account = self
            .store()
            .move_lead(id, change.version, &step, self.caller.acting_staff_id())
            .await?;
        self.state.index.upsert(&account).map_err(index_error)?;
        Ok(account)
    }

    /// Converts one of the caller's qualified leads into a customer and opens its first deal
    /// (`deal`: the opportunity's fields, checked by the opportunities' rules), one transaction.
    pub async fn convert_lead(
        &self,
        id: i64,
        version: i64,
        mut deal: Value,
    ) -> Result<(Account, Map<String, Value>), ApiError> {
        self.require("leads", Action::Update)?;
        self.require(OPPORTUNITIES.name, Action::Create)?;
        let current = self.account(id).await?;
        if current.version != version {
            return Err(ApiError::Conflict {
                current_version: current.version,
            });
        }
        check_convertible(
            current.kind == wilayah_shared::domain::AccountKind::Prospect,
            current.status,
        )?;
        let Some(fields) = deal.as_object_mut() else {
            return Err(ApiError::bad_field("deal", "expected an object"));
        };
        fields.insert("account_id".into(), id.into());
        fields.insert("stage".into(), "qualified".into());
        fields
            .entry("owner_id")
            .or_insert(json!(current.owner_id.or(self.caller.acting_staff_id())));
        fields
            .entry("currency")
            .or_insert(json!(current.currency.clone()));
        let valid = OPPORTUNITIES.validate_create(&deal)?.record;
        let text = |name: &str| valid.get(name).and_then(Value::as_str).map(str::to_owned);
        let first = FirstDeal {
            title: text("title").unwrap_or_default(),
            owner_id: valid.get("owner_id").and_then(Value::as_i64),
            value_minor: valid
                .get("value_minor")
                .and_then(Value::as_i64)
                .unwrap_or_default(),
            currency: text("currency").unwrap_or_else(|| current.currency.clone()),
            expected_close: text("expected_close").and_then(|d| d.parse().ok()),
        };
        let _writing = self.state.index.lock_writes().await;
        let (account, opportunity) = self
            .store()
            .convert_lead(
                id,
                version,
                &first,
                self.caller.acting_staff_id(),
                self.today(),
            )
            .await?;
        self.state.index.upsert(&account).map_err(index_error)?;
        Ok((account, opportunity))
    }

    pub async fn stage_probabilities(&self) -> Result<Vec<StageProbability>, ApiError> {
        self.require(OPPORTUNITIES.name, Action::Read)?;
        Ok(self.store().stage_probabilities().await?)
    }

    /// Sets the stages' win probabilities: admins only (the route's rule says so too).
    pub async fn set_stage_probabilities(
        &self,
        stages: &[StageProbability],
    ) -> Result<Vec<StageProbability>, ApiError> {
        self.require("pipeline_stages", Action::Update)?;
        check_probabilities(stages)?;
        Ok(self.store().set_stage_probabilities(stages).await?)
    }

    /// The board over the caller's deals: one column per stage with count, value and weighted
    /// value.
    pub async fn board(&self, filter: &BoardFilter) -> Result<Vec<BoardColumn>, ApiError> {
        self.require(OPPORTUNITIES.name, Action::Read)?;
        let visible = self.visible().await?;
        let mut deals = self.store().board_deals().await?;
        deals.retain(|d| visible.admits(d.account_id));
        let probabilities = self.store().stage_probabilities().await?;
        Ok(board(deals, &probabilities, filter))
    }

    /// Completes one of the caller's tasks now (the history line comes with it).
    pub async fn complete_task(
        &self,
        id: i64,
        version: i64,
    ) -> Result<Map<String, Value>, ApiError> {
        self.require(TASKS.name, Action::Update)?;
        let current = self.record(&TASKS, id).await?;
        if current.get("status").and_then(Value::as_str) == Some("done") {
            return Err(ApiError::Invalid(
                wilayah_shared::account::ValidationError::new("status", "it is already done"),
            ));
        }
        let now = chrono::Utc::now().to_rfc3339();
        self.update_record(
            &TASKS,
            id,
            json!({"version": version, "status": "done", "done_at": now}),
        )
        .await
    }

    /// The caller's day: their open tasks due today or before, and today's visits at their
    /// accounts.
    pub async fn my_day(&self) -> Result<MyDay, ApiError> {
        self.require(TASKS.name, Action::Read)?;
        let today = self.today();
        let mut overdue = Vec::new();
        let mut due_today = Vec::new();
        if let Some(staff_id) = self.caller.acting_staff_id() {
            let field = |name| TASKS.field(name).expect("a task field");
            let query = ResourceQuery {
                filters: vec![
                    (field("assignee_id"), SqlValue::Int(Some(staff_id))),
                    (field("status"), SqlValue::Text(Some("open".into()))),
                ],
                sort: ("due_on", false),
                limit: wilayah_shared::account::MAX_PAGE_SIZE,
                offset: 0,
            };
            let tasks = self.records(&TASKS, &query).await?.items;
            let mut ids: Vec<i64> = tasks
                .iter()
                .filter_map(|t| t.get("account_id").and_then(Value::as_i64))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let names: std::collections::HashMap<i64, String> = self
                .accounts_by_ids(&ids)
                .await?
                .into_iter()
                .map(|a| (a.id, a.name))
                .collect();
            let today_text = today.to_string();
            for task in tasks {
                let due = task
                    .get("due_on")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let account_id = task
                    .get("account_id")
                    .and_then(Value::as_i64)
                    .unwrap_or_default();
                let entry = DayTask {
                    account_name: names.get(&account_id).cloned().unwrap_or_default(),
                    task,
                };
                match due.as_str().cmp(today_text.as_str()) {
                    std::cmp::Ordering::Less => overdue.push(entry),
                    std::cmp::Ordering::Equal => due_today.push(entry),
                    std::cmp::Ordering::Greater => {}
                }
            }
        }
        let range = (self.state.today)();
        let mut visits = self.map_visits(&range).await?;
        visits.sort_by_key(|v| v.window_start);
        Ok(MyDay {
            date: today.to_string(),
            overdue,
            today: due_today,
            visits,
        })
    }
}
