//! The HTTP tests against a real database (SQLite, or PostgreSQL when `DATABASE_URL` says so),
//! one module per area, linked into one binary. Run one area with a filter:
//! `cargo test -p wilayah-tests --test http access_model::`.

#[path = "access_model.rs"]
mod access_model;
#[path = "accounts.rs"]
mod accounts;
#[path = "analytics.rs"]
mod analytics;
#[path = "api.rs"]
mod api;
#[path = "attacks.rs"]
mod attacks;
#[path = "auth.rs"]
mod auth;
#[path = "campaign_mail.rs"]
mod campaign_mail;
#[path = "campaigns.rs"]
mod campaigns;
#[path = "cases.rs"]
mod cases;
#[path = "dashboard.rs"]
mod dashboard;
#[path = "field.rs"]
mod field;
#[path = "hardening.rs"]
mod hardening;
#[path = "osrm.rs"]
mod osrm;
#[path = "pipeline.rs"]
mod pipeline;
#[path = "placing.rs"]
mod placing;
#[path = "planning.rs"]
mod planning;
#[path = "replicas.rs"]
mod replicas;
#[path = "resources.rs"]
mod resources;
#[path = "routes.rs"]
mod routes;
#[path = "sales.rs"]
mod sales;
#[path = "segments.rs"]
mod segments;
#[path = "surveys.rs"]
mod surveys;
#[path = "transfer.rs"]
mod transfer;
#[path = "workspace.rs"]
mod workspace;
