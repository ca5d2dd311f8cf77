//! Database access: picks SQLite or PostgreSQL from the URL, migrates, and hands out the store.

mod analytics;
mod audit;
mod auth;
mod campaigns;
mod changes;
mod field;
mod generic;
mod merge;
mod pipeline;
mod planning;
mod routes;
mod sales;
mod segments;
mod service;
mod store;
mod surveys;
mod transfer;
mod views;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Postgres, SqlSafeStr, Sqlite};

pub use analytics::{
    AnalyticsStore, BasketLine, CampaignContactMade, CaseOpening, OrderFigures, ScoringJob,
    ServiceVisit, StoredScore,
};
pub use audit::{Actor, acting_as, current_actor};
pub use auth::{ApiTokenRecord, AuditQuery, AuditRecord, AuthStore, NewUser, UserRecord};
pub use campaigns::{CampaignStore, EmailClaim};
pub use changes::{Change, ChangeBatch, ChangeCursor, ChangeStore, ChangeWaker, KEPT_FOR_S};
pub use field::{ActionFilter, FieldStore, FieldVisit};
pub use generic::{RecordPage, ResourceQuery, ResourceStore};
pub use merge::{ContactKey, MERGED_TABLES, MergeStore, Merged};
pub use pipeline::{FirstDeal, PipelineStore};
pub use planning::{
    PlanningAccount, PlanningError, PlanningStore, Publication, PublishOutcome, PublishedTerritory,
    StaffName, account_points, territory_index,
};
pub use routes::{RouteStore, Technician, VisitToPlan};
pub use sales::{
    OrderImport, OrderRecord, ProductImport, QuoteRecord, ReviewProduct, SalesFilter,
    SalesSettingsStore, SalesStore,
};
pub use segments::SegmentStore;
pub use service::{Filed, FiledReport, QueueCase, ServiceStore};
pub use store::{ServerStore, SqlStore};
pub use surveys::{Answered, AnsweredSurvey, SurveyClaim, SurveyInvite, SurveyStore};
pub use transfer::{ImportError, TransferStore, WriteProgress};
pub use views::ViewStore;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "unsupported database URL {0:?}: use sqlite://path/to/file.db or postgres://user@host:port/database"
    )]
    UnsupportedUrl(String),
    #[error("invalid database URL {url:?}: {source}")]
    InvalidUrl { url: String, source: sqlx::Error },
    #[error("could not create the folder {path} for the SQLite database: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("could not connect to {url}: {source}")]
    Unreachable { url: String, source: sqlx::Error },
    #[error("migrating {url} failed: {source}")]
    Migrate {
        url: String,
        source: sqlx::migrate::MigrateError,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(DbError::UnsupportedUrl(url.to_owned())),
        }
    }
}

/// Shows a URL without its password, for logs and error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Migrations are compiled into the binary so a deployed server needs no migrations folder. One
/// that starts with `-- no-transaction` manages its own transaction (as `sqlx migrate` reads it).
fn migrator(files: &[(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        files
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    sql.starts_with("-- no-transaction"),
                )
            })
            .collect(),
    )
}

fn sqlite_migrator() -> Migrator {
    migrator(&[
        (
            1,
            "core",
            include_str!("../../../migrations/sqlite/0001_core.sql"),
        ),
        (
            2,
            "auth",
            include_str!("../../../migrations/sqlite/0002_auth.sql"),
        ),
        (
            3,
            "field",
            include_str!("../../../migrations/sqlite/0003_field.sql"),
        ),
        (
            4,
            "planning",
            include_str!("../../../migrations/sqlite/0004_planning.sql"),
        ),
        (
            5,
            "hardening",
            include_str!("../../../migrations/sqlite/0005_hardening.sql"),
        ),
        (
            6,
            "sales",
            include_str!("../../../migrations/sqlite/0006_sales.sql"),
        ),
        (
            7,
            "account_sales",
            include_str!("../../../migrations/sqlite/0007_account_sales.sql"),
        ),
        (
            8,
            "workspace",
            include_str!("../../../migrations/sqlite/0008_workspace.sql"),
        ),
        (
            9,
            "pipeline",
            include_str!("../../../migrations/sqlite/0009_pipeline.sql"),
        ),
        (
            10,
            "sales_settings",
            include_str!("../../../migrations/sqlite/0010_sales_settings.sql"),
        ),
        (
            11,
            "customer_scores",
            include_str!("../../../migrations/sqlite/0011_customer_scores.sql"),
        ),
        (
            12,
            "service_desk",
            include_str!("../../../migrations/sqlite/0012_service_desk.sql"),
        ),
        (
            13,
            "campaigns",
            include_str!("../../../migrations/sqlite/0013_campaigns.sql"),
        ),
        (
            15,
            "search_indexes",
            include_str!("../../../migrations/sqlite/0015_search_indexes.sql"),
        ),
        (
            17,
            "replicas",
            include_str!("../../../migrations/sqlite/0017_replicas.sql"),
        ),
        (
            18,
            "surveys",
            include_str!("../../../migrations/sqlite/0018_surveys.sql"),
        ),
    ])
}

fn postgres_migrator() -> Migrator {
    migrator(&[
        (
            1,
            "core",
            include_str!("../../../migrations/postgres/0001_core.sql"),
        ),
        (
            2,
            "auth",
            include_str!("../../../migrations/postgres/0002_auth.sql"),
        ),
        (
            3,
            "field",
            include_str!("../../../migrations/postgres/0003_field.sql"),
        ),
        (
            4,
            "planning",
            include_str!("../../../migrations/postgres/0004_planning.sql"),
        ),
        (
            5,
            "hardening",
            include_str!("../../../migrations/postgres/0005_hardening.sql"),
        ),
        (
            6,
            "sales",
            include_str!("../../../migrations/postgres/0006_sales.sql"),
        ),
        (
            7,
            "account_sales",
            include_str!("../../../migrations/postgres/0007_account_sales.sql"),
        ),
        (
            8,
            "workspace",
            include_str!("../../../migrations/postgres/0008_workspace.sql"),
        ),
        (
            9,
            "pipeline",
            include_str!("../../../migrations/postgres/0009_pipeline.sql"),
        ),
        (
            10,
            "sales_settings",
            include_str!("../../../migrations/postgres/0010_sales_settings.sql"),
        ),
        (
            11,
            "customer_scores",
            include_str!("../../../migrations/postgres/0011_customer_scores.sql"),
        ),
        (
            12,
            "service_desk",
            include_str!("../../../migrations/postgres/0012_service_desk.sql"),
        ),
        (
            13,
            "campaigns",
            include_str!("../../../migrations/postgres/0013_campaigns.sql"),
        ),
        (
            15,
            "search_indexes",
            include_str!("../../../migrations/postgres/0015_search_indexes.sql"),
        ),
        (
            17,
            "replicas",
            include_str!("../../../migrations/postgres/0017_replicas.sql"),
        ),
        (
            18,
            "surveys",
            include_str!("../../../migrations/postgres/0018_surveys.sql"),
        ),
    ])
}

/// Connects to the database the URL names, creating (SQLite) and migrating it as needed.
pub async fn connect(url: &str) -> Result<Arc<dyn ServerStore>, DbError> {
    let shown = redact(url);
    let invalid = |source| DbError::InvalidUrl {
        url: shown.clone(),
        source,
    };
    let unreachable = |source| DbError::Unreachable {
        url: shown.clone(),
        source,
    };
    let migrate = |source| DbError::Migrate {
        url: shown.clone(),
        source,
    };
    match Backend::from_url(url)? {
        Backend::Sqlite => {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(invalid)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            if let Some(dir) = options
                .get_filename()
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .map_err(unreachable)?;
            sqlite_migrator().run(&pool).await.map_err(migrate)?;
            Ok(Arc::new(SqlStore::<Sqlite>::new(pool)))
        }
        Backend::Postgres => {
            let options = PgConnectOptions::from_str(url).map_err(invalid)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(unreachable)?;
            postgres_migrator().run(&pool).await.map_err(migrate)?;
            Ok(Arc::new(SqlStore::<Postgres>::new(pool)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/x.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("sqlite::memory:").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        let err = Backend::from_url("mysql://u@h/db").unwrap_err();
        assert!(
            err.to_string()
                .contains("unsupported database URL \"mysql://u@h/db\""),
            "{err}"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://me:secret@db:5432/crm"),
            "postgres://me:***@db:5432/crm"
        );
        assert_eq!(redact("postgres://me@db/crm"), "postgres://me@db/crm");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
