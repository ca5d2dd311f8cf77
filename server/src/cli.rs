//! The `wilayah` command line: `serve` (also what a bare `wilayah` does), and `import` / `export`
//! of accounts (CSV or GeoJSON) and territories (GeoJSON) against the database the server uses
//! (`--database-url` / `DATABASE_URL`). Imports are all or nothing and list every bad row.
//!
//! An import writes to the database only: a server already running on it sees the new accounts
//! in its spatial index after a restart.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use wilayah_app::store::StoreError;
use wilayah_shared::account::{AccountQuery, MAX_PAGE_SIZE};
use wilayah_shared::money::Currency;
use wilayah_shared::transfer::{
    Format, RowErrors, read_accounts, territories_from_geojson, territories_to_geojson,
    write_accounts,
};

use crate::StartError;
use crate::config::Config;
use crate::db::{self, DbError, ImportError, ServerStore};

#[derive(Debug, Parser)]
#[command(
    name = "wilayah",
    version,
    about = "Wilayah, the map-first CRM: web server (the default), import and export"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (what `wilayah` with no subcommand does).
    Serve,
    /// Import a file into the database: every row, or nothing when any row is refused.
    #[command(subcommand)]
    Import(Import),
    /// Export from the database to a file (or standard output) that `import` reads back.
    #[command(subcommand)]
    Export(Export),
    /// Manage users (e.g. create the first admin without the setup link).
    #[command(subcommand)]
    User(User),
    /// Customer analytics over the orders in the database.
    #[command(subcommand)]
    Analytics(Analytics),
}

#[derive(Debug, Subcommand)]
pub enum Analytics {
    /// Fit the lifetime-value models (BG/NBD for the purchases, Gamma-Gamma for their value)
    /// on the orders up to the calibration end; with a holdout end, compare the repeat
    /// purchases after the calibration end with what the model expects.
    Fit {
        /// The last day of the calibration period (YYYY-MM-DD).
        #[arg(long)]
        calibration_end: chrono::NaiveDate,
        /// The last day of the holdout period (YYYY-MM-DD), after the calibration end.
        #[arg(long)]
        holdout_end: Option<chrono::NaiveDate>,
        /// Print the report as JSON (`unit`, `customers`, `bgnbd`, `gamma_gamma`, `holdout`).
        #[arg(long)]
        json: bool,
    },
    /// Run the scoring job: fit both models on every order up to the calibration end, score
    /// every customer (P(alive), expected purchases, CLV) and store the scores with the day of
    /// the fit, as the analytics page's "score now" does.
    Score {
        /// The last day of the calibration period (YYYY-MM-DD; default: today).
        #[arg(long)]
        calibration_end: Option<chrono::NaiveDate>,
        /// Horizon in months.
        #[arg(long, default_value_t = 12)]
        periods: u32,
        /// Discount rate per month.
        #[arg(long, default_value_t = 0.01)]
        discount_rate: f64,
        /// Share of revenue that is margin, 0 to 1.
        #[arg(long, default_value_t = 1.0)]
        margin_share: f64,
        /// The orders' currency to score in (needed when there are several).
        #[arg(long)]
        currency: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum User {
    /// Add a user. The password is read from WILAYAH_PASSWORD, or else from the first line of
    /// standard input; it never has a default.
    Add {
        #[arg(long)]
        email: String,
        /// admin, manager, planner, sales_rep or technician.
        #[arg(long)]
        role: String,
        /// The staff member this user is (required for sales_rep and technician).
        #[arg(long)]
        staff_id: Option<i64>,
        /// A manager's territories, comma-separated (none: every territory).
        #[arg(long, value_delimiter = ',')]
        region: Vec<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Import {
    /// Accounts from CSV (a header row of account fields; tags separated by `;`) or GeoJSON
    /// (a FeatureCollection of Points whose properties are the account fields).
    Accounts {
        file: PathBuf,
        /// `csv` or `geojson`; by default from the file name (.csv, .geojson, .json).
        #[arg(long, value_parser = parse_format)]
        format: Option<Format>,
        /// Check every row against the database, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Territories from a GeoJSON FeatureCollection of Polygons / MultiPolygons with properties
    /// `name` and `owner_id`.
    Territories {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
    /// Past orders from CSV (account_external_id, order_date, external_order_id, sku, quantity,
    /// unit_price_minor, currency; optional cost_minor, line_no). Orders already imported are
    /// skipped; unknown SKUs become inactive products flagged for review.
    Orders {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum Export {
    /// Every account, by id.
    Accounts {
        #[arg(long, default_value = "csv", value_parser = parse_format)]
        format: Format,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Every territory as GeoJSON.
    Territories {
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
        .map_err(|e: wilayah_shared::account::ValidationError| e.message)
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Serve(#[from] StartError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot tell the format of {0}; name it .csv or .geojson, or pass --format")]
    UnknownFormat(PathBuf),
    #[error("{path} was refused, nothing was written:\n{errors}")]
    Refused { path: PathBuf, errors: RowErrors },
    #[error("the user was refused: {0}")]
    User(String),
    #[error("the models cannot be fitted on these orders: {0}")]
    Fit(#[from] wilayah_shared::analytics::FitError),
    #[error("{0}")]
    Currency(String),
    #[error("the scoring job failed: {0}")]
    Scoring(String),
}

/// Runs what the command line asks for.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let url = cli.config.database_url.clone();
    match cli.command {
        None | Some(Command::Serve) => Ok(crate::run(cli.config).await?),
        Some(Command::Import(Import::Accounts {
            file,
            format,
            dry_run,
        })) => {
            let format = format
                .or_else(|| Format::from_file_name(&file.to_string_lossy()))
                .ok_or_else(|| CliError::UnknownFormat(file.clone()))?;
            import(&url, &file, dry_run, "accounts", |data, progress| {
                read_accounts(format, data, progress)
            })
            .await
        }
        Some(Command::Import(Import::Territories { file, dry_run })) => {
            import(&url, &file, dry_run, "territories", |data, progress| {
                territories_from_geojson(data, progress)
            })
            .await
        }
        Some(Command::Import(Import::Orders { file, dry_run })) => {
            import_orders(&url, &file, dry_run).await
        }
        Some(Command::Export(Export::Accounts { format, output })) => {
            let store = db::connect(&url).await?;
            let query = AccountQuery {
                limit: MAX_PAGE_SIZE,
                ..AccountQuery::default()
            };
            let accounts = store.export_accounts(&query).await?;
            write_output(output.as_deref(), &write_accounts(format, &accounts))?;
            eprintln!("exported {} accounts", accounts.len());
            Ok(())
        }
        Some(Command::User(User::Add {
            email,
            role,
            staff_id,
            region,
        })) => {
            let password = match std::env::var("WILAYAH_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    if std::io::stdin().is_terminal() {
                        eprint!("password for {email}: ");
                    }
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .map_err(|source| CliError::Read {
                            path: PathBuf::from("standard input"),
                            source,
                        })?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let input = crate::http::auth::UserInput::new(email, password, role, staff_id, region);
            let user = crate::http::auth::new_user(input)
                .await
                .map_err(|e| match e {
                    crate::http::error::ApiError::Invalid(v) => {
                        CliError::User(format!("{}: {}", v.field, v.message))
                    }
                    other => CliError::User(other.to_string()),
                })?;
            let store = db::connect(&url).await?;
            let created = crate::db::acting_as(
                crate::db::Actor {
                    user_id: None,
                    label: "cli".into(),
                },
                store.create_user(&user),
            )
            .await?;
            eprintln!(
                "created user {} ({}, {})",
                created.id, created.email, created.role
            );
            Ok(())
        }
        Some(Command::Export(Export::Territories { output })) => {
            let store = db::connect(&url).await?;
            let territories = store.export_territories().await?;
            write_output(
                output.as_deref(),
                territories_to_geojson(&territories).as_bytes(),
            )?;
            eprintln!("exported {} territories", territories.len());
            Ok(())
        }
        Some(Command::Analytics(Analytics::Fit {
            calibration_end,
            holdout_end,
            json,
        })) => {
            let store = db::connect(&url).await?;
            // The spend model's scale comes out in the orders' units: one currency, and the
            // report gives it in whole units of it (dollars, not cents), as the literature does.
            let currency = match store.purchase_currencies().await?.as_slice() {
                [] => None,
                [one] => Some(Currency::parse("currency", one).map_err(|e| {
                    CliError::Currency(format!("orders carry the currency {one:?}: {}", e.message))
                })?),
                several => {
                    return Err(CliError::Currency(format!(
                        "the orders are in several currencies ({}); the spend model needs one",
                        several.join(", ")
                    )));
                }
            };
            let purchases = store.purchases().await?;
            let mut report =
                wilayah_shared::analytics::fit_report(&purchases, calibration_end, holdout_end)?;
            if let Some(currency) = currency {
                report.gamma_gamma.v /= 10f64.powi(currency.minor_digits() as i32);
            }
            let text = if json {
                serde_json::to_string_pretty(&report).expect("a report serialises")
            } else {
                fit_summary(&report, calibration_end)
            };
            write_output(None, format!("{text}\n").as_bytes())
        }
        Some(Command::Analytics(Analytics::Score {
            calibration_end,
            periods,
            discount_rate,
            margin_share,
            currency,
        })) => {
            let store = db::connect(&url).await?;
            let calibration_end =
                calibration_end.unwrap_or_else(|| crate::local_date(cli.config.utc_offset));
            let settings = wilayah_shared::analytics::ClvSettings {
                periods,
                discount_rate,
                margin_share,
                ..Default::default()
            };
            let job = store
                .begin_scoring_job(
                    None,
                    calibration_end,
                    &serde_json::json!(settings).to_string(),
                    chrono::Utc::now(),
                )
                .await?
                .ok_or_else(|| CliError::User("a scoring job is already running".into()))?;
            let started = std::time::Instant::now();
            let request = crate::scoring::ScoringRequest {
                calibration_end,
                settings,
            };
            let done = crate::scoring::run(store, job, request, currency)
                .await
                .map_err(CliError::Scoring)?;
            eprintln!(
                "job {job}: scored {} customers in {} (fitted on {calibration_end}) in {:.1} s",
                done.customers,
                done.currency,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// The fit for a person to read.
fn fit_summary(
    report: &wilayah_shared::analytics::FitReport,
    calibration_end: chrono::NaiveDate,
) -> String {
    let (b, g) = (&report.bgnbd, &report.gamma_gamma);
    let mut lines = vec![
        format!(
            "{} customers, calibration up to {calibration_end}, time in {}s",
            report.customers, report.unit
        ),
        format!(
            "BG/NBD       r = {:.4}  alpha = {:.4}  a = {:.4}  b = {:.4}",
            b.r, b.alpha, b.a, b.b
        ),
        format!(
            "Gamma-Gamma  p = {:.4}  q = {:.4}  v = {:.4}",
            g.p, g.q, g.v
        ),
    ];
    if let Some(h) = &report.holdout {
        lines.push(format!(
            "holdout      repeat purchases: actual {}, predicted {:.1}",
            h.actual, h.predicted
        ));
    }
    lines.join("\n")
}

/// A progress bar on standard error, hidden when that is not a terminal (pipes, CI, tests).
fn progress_bar(step: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{wide_bar}] {percent:>3}%")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(step);
    bar
}

fn advance(bar: &ProgressBar, done: u64, total: u64) {
    bar.set_length(total);
    bar.set_position(done);
}

/// Reads, validates and writes rows of one kind (`what`): the rows of a file become items of
/// the database through [`ImportRows`].
async fn import<R: ImportRows>(
    url: &str,
    path: &Path,
    dry_run: bool,
    what: &str,
    read: impl FnOnce(&[u8], &mut dyn FnMut(u64, u64)) -> Result<Vec<R>, RowErrors>,
) -> Result<(), CliError> {
    let refused = |errors| CliError::Refused {
        path: path.to_owned(),
        errors,
    };
    let data = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    let bar = progress_bar("validating");
    let rows = read(&data, &mut |done, total| advance(&bar, done, total)).map_err(refused)?;
    bar.finish_and_clear();

    let store = db::connect(url).await?;
    let bar = progress_bar(if dry_run { "checking" } else { "writing" });
    let written = R::write(&store, &rows, dry_run, &|done, total| {
        advance(&bar, done, total)
    })
    .await;
    bar.finish_and_clear();
    let count = match written {
        Ok(count) => count,
        Err(ImportError::Rows(errors)) => return Err(refused(errors)),
        Err(ImportError::Store(e)) => return Err(e.into()),
    };
    if dry_run {
        eprintln!(
            "{}: {count} {what} are valid; nothing was written (dry run)",
            path.display()
        );
    } else {
        eprintln!("{}: imported {count} {what}", path.display());
    }
    Ok(())
}

/// Reads a file of past orders, checks every row, and writes them all (or nothing).
async fn import_orders(url: &str, path: &Path, dry_run: bool) -> Result<(), CliError> {
    let refused = |errors| CliError::Refused {
        path: path.to_owned(),
        errors,
    };
    let data = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    let bar = progress_bar("validating");
    let history = wilayah_shared::sales::parse_order_history(&data, &mut |done, total| {
        advance(&bar, done, total)
    })
    .map_err(refused)?;
    bar.finish_and_clear();

    let store = db::connect(url).await?;
    let bar = progress_bar(if dry_run { "checking" } else { "writing" });
    let written = store
        .import_orders(&history, None, dry_run, &|done, total| {
            advance(&bar, done, total)
        })
        .await;
    bar.finish_and_clear();
    let report = match written {
        Ok(report) => report,
        Err(ImportError::Rows(errors)) => return Err(refused(errors)),
        Err(ImportError::Store(e)) => return Err(e.into()),
    };
    let verb = if dry_run {
        "would import (dry run, nothing written)"
    } else {
        "imported"
    };
    eprintln!(
        "{}: {verb} {} orders with {} lines; {} orders were already imported and left as they were",
        path.display(),
        report.orders,
        report.lines,
        report.skipped_orders
    );
    for p in &report.review_products {
        eprintln!(
            "  new product {:?} (id {}) flagged for review: first in row {}, on {} lines",
            p.sku, p.id, p.first_row, p.lines
        );
    }
    Ok(())
}

/// Rows the store can import; answers how many it wrote.
trait ImportRows: Sized + Sync {
    async fn write(
        store: &Arc<dyn ServerStore>,
        rows: &[Self],
        dry_run: bool,
        progress: db::WriteProgress<'_>,
    ) -> Result<usize, ImportError>;
}

impl ImportRows for wilayah_shared::transfer::ImportRow {
    async fn write(
        store: &Arc<dyn ServerStore>,
        rows: &[Self],
        dry_run: bool,
        progress: db::WriteProgress<'_>,
    ) -> Result<usize, ImportError> {
        // Territory and owner follow the position, as for the API (the CLI acts as the system).
        let index = crate::index::AccountIndex::default();
        index.set_territories(db::territory_index(&store.published_territories().await?));
        let mut rows = rows.to_vec();
        crate::http::scope::place_rows_as_system(&index, &mut rows);
        for row in &rows {
            if let Some(hit) = &row.geocoded {
                eprintln!(
                    "row {}: placed by its address at {} ({:?} precision{})",
                    row.row,
                    hit.matched_name,
                    hit.precision,
                    if hit.ambiguous { ", ambiguous" } else { "" }
                );
            }
        }
        Ok(store.import_accounts(&rows, dry_run, progress).await?.len())
    }
}

impl ImportRows for wilayah_shared::transfer::TerritoryRow {
    async fn write(
        store: &Arc<dyn ServerStore>,
        rows: &[Self],
        dry_run: bool,
        progress: db::WriteProgress<'_>,
    ) -> Result<usize, ImportError> {
        Ok(store
            .import_territories(rows, dry_run, progress)
            .await?
            .len())
    }
}

fn write_output(path: Option<&Path>, data: &[u8]) -> Result<(), CliError> {
    let written = match path {
        Some(path) => std::fs::write(path, data),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(data).and_then(|()| out.flush())
        }
    };
    written.map_err(|source| CliError::Write {
        path: path.map_or("standard output".to_owned(), |p| p.display().to_string()),
        source,
    })
}
