//! The end-to-end tests in headless Chromium, one module per page or flow, linked into one
//! binary. Run one with a filter: `cargo test -p wilayah-tests --test browser browser_pipeline::`.

#[path = "browser.rs"]
mod browser;
#[path = "browser_accounts.rs"]
mod browser_accounts;
#[path = "browser_analytics.rs"]
mod browser_analytics;
#[path = "browser_campaigns.rs"]
mod browser_campaigns;
#[path = "browser_cases.rs"]
mod browser_cases;
#[path = "browser_dashboard.rs"]
mod browser_dashboard;
#[path = "browser_field.rs"]
mod browser_field;
#[path = "browser_pipeline.rs"]
mod browser_pipeline;
#[path = "browser_planner.rs"]
mod browser_planner;
#[path = "browser_planner_edit.rs"]
mod browser_planner_edit;
#[path = "browser_sales.rs"]
mod browser_sales;
