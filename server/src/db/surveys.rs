//! Customer satisfaction surveys (issue 17 item 6, docs/service.md): opened by a sweep after a
//! case is resolved or a visit done, sent by e-mail through the campaigns' mailer, answered once
//! through the link or on the technician's tablet.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder, Sqlite};
use wilayah_app::store::StoreError;

use super::analytics::{account_chunks, push_accounts};
use super::audit::HistoryLine;
use super::store::{SqlStore, db_error};

/// What the public survey page may show: who asks and about what, nothing else of the
/// customer's.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SurveyInvite {
    pub account_name: String,
    /// The case's subject; `None` for a visit.
    pub case_subject: Option<String>,
    /// When the visit was (its window's start); `None` for a case.
    pub visit_at: Option<DateTime<Utc>>,
    pub score: Option<i32>,
}

/// A survey claimed for sending by e-mail.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SurveyClaim {
    pub id: i64,
    pub token: String,
    pub account_name: String,
    pub contact_name: Option<String>,
    pub address: Option<String>,
    pub case_subject: Option<String>,
}

/// An answered survey, for the results.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AnsweredSurvey {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub case_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    pub category: Option<String>,
    pub territory_id: Option<i64>,
    pub territory_name: Option<String>,
    pub score: i32,
    pub comment: Option<String>,
    pub answered_via: String,
    pub answered_at: DateTime<Utc>,
}

/// Why an answer was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Recorded,
    /// No survey has this token (or the visit is unknown).
    Unknown,
    /// The survey has its answer already: the first one stands.
    Already,
}

#[async_trait]
pub trait SurveyStore: Send + Sync {
    /// Opens a survey for every case resolved or closed and every visit done since `since`
    /// that has none yet, addressed to the account's first contact with an e-mail address who
    /// has not refused e-mail (pending when there is one). One transaction; answers how many.
    async fn open_surveys(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// The next pending survey e-mail, marked sending (committed) so it goes out once.
    async fn claim_next_survey_email(&self) -> Result<Option<SurveyClaim>, StoreError>;

    /// A claimed survey e-mail's outcome: sent, or failed with the error.
    async fn record_survey_email(&self, id: i64, error: Option<&str>) -> Result<(), StoreError>;

    /// The survey behind a link.
    async fn survey_invite(&self, token: &str) -> Result<Option<SurveyInvite>, StoreError>;

    /// Records the answer behind a link (the first answer stands), with a line in the
    /// customer's history.
    async fn answer_survey(
        &self,
        token: &str,
        score: u8,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Answered, StoreError>;

    /// Records the answer given on the technician's tablet for visit `visit_id` (opening its
    /// survey if the sweep has not yet).
    async fn answer_visit_survey(
        &self,
        visit_id: i64,
        score: u8,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Answered, StoreError>;

    /// The answered surveys of these accounts (`None`: every account) answered in `from..to`,
    /// newest first.
    async fn answered_surveys(
        &self,
        accounts: Option<&[i64]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AnsweredSurvey>, StoreError>;
}

/// A random token for a survey link: 128 bits, hex.
fn token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Database(e.to_string().into()))?;
    Ok(hex::encode(bytes))
}

/// Surveys to open: `(case, visit, account, staff, category)`.
type ToOpen = (Option<i64>, Option<i64>, i64, Option<i64>, Option<String>);

const CASES_TO_SURVEY: &str = "
    SELECT c.id, CAST(NULL AS BIGINT), c.account_id, c.assigned_to, c.category FROM cases c
     WHERE c.status IN ('resolved', 'closed') AND c.resolved_at >= $1
       AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.case_id = c.id)";

const VISITS_TO_SURVEY: &str = "
    SELECT CAST(NULL AS BIGINT), v.id, v.account_id, v.technician_id, CAST(NULL AS TEXT) FROM visits v
     WHERE v.status = 'done' AND v.updated_at >= $1
       AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.visit_id = v.id)";

/// The contact a survey goes to: the account's first with an address who has not refused
/// e-mail.
const SURVEY_CONTACT: &str = "
    SELECT id, email FROM contacts
     WHERE account_id = $1 AND email IS NOT NULL AND email <> ''
       AND (consent_email IS NULL OR consent_email <> 'refused')
     ORDER BY id LIMIT 1";

const ANSWERED_COLUMNS: &str = "s.id, s.account_id, a.name AS account_name, s.case_id, \
    s.visit_id, s.staff_id, st.name AS staff_name, s.category, a.territory_id, \
    t.name AS territory_name, s.score, s.comment, s.answered_via, s.answered_at";

/// `$begin` starts a write transaction (SQLite takes its write lock up front, see field.rs).
macro_rules! impl_survey_store {
    ($db:ty, $begin:literal) => {
        impl SqlStore<$db> {
            /// Inserts survey `open` inside `tx`; its id.
            async fn insert_survey(
                tx: &mut sqlx::Transaction<'_, $db>,
                (case, visit, account, staff, category): ToOpen,
                now: DateTime<Utc>,
            ) -> Result<i64, StoreError> {
                let contact: Option<(i64, String)> = sqlx::query_as(SURVEY_CONTACT)
                    .bind(account)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_error)?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO surveys (token, case_id, visit_id, account_id, contact_id, staff_id,
                         category, email_state, address, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(token()?)
                .bind(case)
                .bind(visit)
                .bind(account)
                .bind(contact.as_ref().map(|c| c.0))
                .bind(staff)
                .bind(category)
                .bind(if contact.is_some() { "pending" } else { "none" })
                .bind(contact.map(|c| c.1))
                .bind(now)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_error)?;
                Ok(id)
            }

            /// Records the tablet's answer for visit `visit_id` inside `tx`, opening its survey
            /// if the sweep has not yet (and cancelling its e-mail: answered on the spot).
            pub(super) async fn answer_visit_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                visit_id: i64,
                (score, comment): (u8, Option<&str>),
                now: DateTime<Utc>,
            ) -> Result<Answered, StoreError> {
                let found: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM surveys WHERE visit_id = $1")
                        .bind(visit_id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(db_error)?;
                let id = match found {
                    Some((id,)) => id,
                    None => {
                        let visit: Option<(i64, Option<i64>)> = sqlx::query_as(
                            "SELECT account_id, technician_id FROM visits WHERE id = $1",
                        )
                        .bind(visit_id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(db_error)?;
                        let Some((account, technician)) = visit else {
                            return Ok(Answered::Unknown);
                        };
                        let open = (None, Some(visit_id), account, technician, None);
                        Self::insert_survey(tx, open, now).await?
                    }
                };
                sqlx::query(
                    "UPDATE surveys SET email_state = 'none' WHERE id = $1 AND email_state = 'pending'",
                )
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
                Self::record_answer(tx, id, (score, comment, "tablet"), now).await
            }

            /// Writes the answer to survey `id` unless it has one, with the history line.
            async fn record_answer(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
                (score, comment, via): (u8, Option<&str>, &str),
                now: DateTime<Utc>,
            ) -> Result<Answered, StoreError> {
                let changed = sqlx::query(
                    "UPDATE surveys SET score = $1, comment = $2, answered_via = $3, answered_at = $4
                     WHERE id = $5 AND score IS NULL",
                )
                .bind(i32::from(score))
                .bind(comment)
                .bind(via)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?
                .rows_affected();
                if changed == 0 {
                    return Ok(Answered::Already);
                }
                let (account, subject, visit): (i64, Option<String>, Option<i64>) = sqlx::query_as(
                    "SELECT s.account_id, c.subject, s.visit_id FROM surveys s
                       LEFT JOIN cases c ON c.id = s.case_id WHERE s.id = $1",
                )
                .bind(id)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_error)?;
                let what = match (&subject, visit) {
                    (Some(subject), _) => subject.clone(),
                    (None, Some(visit)) => format!("Visit {visit}"),
                    (None, None) => String::new(),
                };
                let title = format!("{what}: satisfaction {score}/5");
                let line = HistoryLine {
                    account_id: account,
                    staff_id: None,
                    kind: "note",
                    channel: if subject.is_some() { "case" } else { "visit" },
                    subject: &title,
                    outcome: None,
                    body: comment,
                };
                Self::write_history(tx, line, now).await?;
                Ok(Answered::Recorded)
            }
        }

        #[async_trait]
        impl SurveyStore for SqlStore<$db> {
            async fn open_surveys(
                &self,
                since: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let mut opened = 0;
                for sql in [CASES_TO_SURVEY, VISITS_TO_SURVEY] {
                    let due: Vec<ToOpen> = sqlx::query_as(sql)
                        .bind(since)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    for open in due {
                        Self::insert_survey(&mut tx, open, now).await?;
                        opened += 1;
                    }
                }
                tx.commit().await.map_err(db_error)?;
                Ok(opened)
            }

            async fn claim_next_survey_email(&self) -> Result<Option<SurveyClaim>, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let claim: Option<SurveyClaim> = sqlx::query_as(
                    "SELECT s.id, s.token, a.name AS account_name, ct.name AS contact_name,
                            s.address, c.subject AS case_subject
                       FROM surveys s JOIN accounts a ON a.id = s.account_id
                       LEFT JOIN contacts ct ON ct.id = s.contact_id
                       LEFT JOIN cases c ON c.id = s.case_id
                      WHERE s.email_state = 'pending' AND s.score IS NULL
                      ORDER BY s.id LIMIT 1",
                )
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                if let Some(claim) = &claim {
                    sqlx::query("UPDATE surveys SET email_state = 'sending' WHERE id = $1")
                        .bind(claim.id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                }
                tx.commit().await.map_err(db_error)?;
                Ok(claim)
            }

            async fn record_survey_email(
                &self,
                id: i64,
                error: Option<&str>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE surveys SET email_state = $1, email_error = $2, sent_at = $3
                     WHERE id = $4 AND email_state = 'sending'",
                )
                .bind(if error.is_none() { "sent" } else { "failed" })
                .bind(error)
                .bind(error.is_none().then(Utc::now))
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            async fn survey_invite(&self, token: &str) -> Result<Option<SurveyInvite>, StoreError> {
                sqlx::query_as(
                    "SELECT a.name AS account_name, c.subject AS case_subject,
                            v.window_start AS visit_at, s.score
                       FROM surveys s JOIN accounts a ON a.id = s.account_id
                       LEFT JOIN cases c ON c.id = s.case_id
                       LEFT JOIN visits v ON v.id = s.visit_id
                      WHERE s.token = $1",
                )
                .bind(token)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)
            }

            async fn answer_survey(
                &self,
                token: &str,
                score: u8,
                comment: Option<&str>,
                now: DateTime<Utc>,
            ) -> Result<Answered, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM surveys WHERE token = $1")
                    .bind(token)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error)?;
                let Some((id,)) = found else {
                    return Ok(Answered::Unknown);
                };
                let answered =
                    Self::record_answer(&mut tx, id, (score, comment, "email"), now).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(answered)
            }

            async fn answer_visit_survey(
                &self,
                visit_id: i64,
                score: u8,
                comment: Option<&str>,
                now: DateTime<Utc>,
            ) -> Result<Answered, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let answered =
                    Self::answer_visit_in(&mut tx, visit_id, (score, comment), now).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(answered)
            }

            async fn answered_surveys(
                &self,
                accounts: Option<&[i64]>,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Vec<AnsweredSurvey>, StoreError> {
                let mut out = Vec::new();
                for chunk in account_chunks(accounts) {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "SELECT {ANSWERED_COLUMNS} FROM surveys s JOIN accounts a ON a.id = s.account_id
                          LEFT JOIN staff st ON st.id = s.staff_id
                          LEFT JOIN territories t ON t.id = a.territory_id
                          WHERE s.score IS NOT NULL AND s.answered_at >= "
                    ));
                    qb.push_bind(from);
                    qb.push(" AND s.answered_at < ");
                    qb.push_bind(to);
                    push_accounts(&mut qb, "s.account_id", chunk);
                    let rows: Vec<AnsweredSurvey> = qb
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_error)?;
                    out.extend(rows);
                }
                out.sort_by(|a, b| b.answered_at.cmp(&a.answered_at).then(b.id.cmp(&a.id)));
                Ok(out)
            }
        }
    };
}

impl_survey_store!(Sqlite, "BEGIN IMMEDIATE");
impl_survey_store!(Postgres, "BEGIN");
