//! `/import`: accounts from a CSV or GeoJSON file in the browser. Choosing a file runs a dry run
//! (`POST /api/v1/accounts/import?dry_run=true`): how many rows would be created, each refused
//! row with its field, the position each geocoded row got and how precise it is, and likely
//! duplicates. A progress bar follows the upload, then the server's processing. "Import" sends
//! the same file for real: every row or none. The current list exports as CSV or GeoJSON.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::Header;
use crate::i18n::{Locale, Msg, Text, tr, use_locale};

use crate::pipeline::{Failure, failure_text};

/// Texts of the import page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportText {
    Choose,
    Formats,
    Uploading,
    Processing,
    DryRunOk,
    ToCreate,
    ToUpdate,
    Refused,
    Row,
    Field,
    Problem,
    Position,
    Precision,
    Duplicates,
    SameAsRows,
    Commit,
    Imported,
    NothingWritten,
    Export,
    ExportCsv,
    ExportGeojson,
    Province,
    Regency,
    District,
    Place,
    Street,
    Given,
    Account,
    MoreErrors,
    WholeFile,
}

impl Text for ImportText {
    fn both(self) -> [&'static str; 2] {
        use ImportText::*;
        match self {
            Choose => ["Choose a file…", "Pilih berkas…"],
            Formats => [
                "CSV with a header row (name, lon, lat or address, …) or a GeoJSON FeatureCollection of points.",
                "CSV dengan baris judul (name, lon, lat atau address, …) atau GeoJSON FeatureCollection berisi titik.",
            ],
            Uploading => ["Uploading", "Mengunggah"],
            Processing => ["Checking the rows…", "Memeriksa baris…"],
            DryRunOk => [
                "Dry run: every row is valid. Nothing is written yet.",
                "Uji coba: semua baris valid. Belum ada yang disimpan.",
            ],
            ToCreate => ["Rows to create", "Baris yang akan dibuat"],
            ToUpdate => ["Rows to update", "Baris yang akan diperbarui"],
            Refused => [
                "The file is refused; nothing was written. Fix these rows and choose the file again:",
                "Berkas ditolak; tidak ada yang disimpan. Perbaiki baris berikut lalu pilih berkas lagi:",
            ],
            Row => ["Row", "Baris"],
            Field => ["Field", "Kolom"],
            Problem => ["Problem", "Masalah"],
            Position => ["Position found", "Posisi ditemukan"],
            Precision => ["Precision", "Ketelitian"],
            Duplicates => ["Likely duplicates", "Kemungkinan duplikat"],
            SameAsRows => ["same as row", "sama dengan baris"],
            Commit => ["Import all rows", "Impor semua baris"],
            Imported => ["Imported accounts:", "Akun diimpor:"],
            NothingWritten => ["Nothing was written.", "Tidak ada yang disimpan."],
            Export => ["Export the accounts you see", "Ekspor akun yang Anda lihat"],
            ExportCsv => ["Export CSV", "Ekspor CSV"],
            ExportGeojson => ["Export GeoJSON", "Ekspor GeoJSON"],
            Province => ["province", "provinsi"],
            Regency => ["regency / city", "kabupaten / kota"],
            District => ["district", "kecamatan"],
            Place => ["place", "desa / kelurahan"],
            Street => ["street", "jalan"],
            Given => ["as given", "sesuai berkas"],
            Account => ["account", "akun"],
            MoreErrors => [
                "More rows are refused.",
                "Masih ada baris lain yang ditolak.",
            ],
            WholeFile => ["whole file", "seluruh berkas"],
        }
    }
}

fn precision_text(precision: &str) -> ImportText {
    match precision {
        "province" => ImportText::Province,
        "regency" => ImportText::Regency,
        "district" => ImportText::District,
        "street" => ImportText::Street,
        _ => ImportText::Place,
    }
}

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Idle,
    /// Sent so far (0–1).
    Uploading(f64),
    /// Sent; the server is checking the rows (set by the upload's events in the browser).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    Processing,
    Checked(Value),
    Imported(Value),
    Refused(Failure),
}

/// The content type of a file, from its name.
pub fn content_type(name: &str) -> &'static str {
    let lower = name.to_lowercase();
    if lower.ends_with(".geojson") || lower.ends_with(".json") {
        "application/geo+json"
    } else {
        "text/csv"
    }
}

/// Posts `body` with upload progress into `stage`; the answer's status and JSON.
async fn upload(
    url: String,
    content_type: &'static str,
    body: String,
    stage: RwSignal<Stage>,
) -> Result<Value, Failure> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let network = || crate::pipeline::call_failed(0, Value::Null);
        let xhr = web_sys::XmlHttpRequest::new().map_err(|_| network())?;
        xhr.open("POST", &url).map_err(|_| network())?;
        xhr.set_request_header("content-type", content_type)
            .map_err(|_| network())?;
        if let Some(token) = crate::auth::csrf_token() {
            xhr.set_request_header("x-csrf-token", &token)
                .map_err(|_| network())?;
        }
        let on_progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    let sent = e.loaded() / e.total();
                    stage.set(if sent >= 1.0 {
                        Stage::Processing
                    } else {
                        Stage::Uploading(sent)
                    });
                }
            });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
            let processing = Closure::once_into_js(move || stage.set(Stage::Processing));
            upload.set_onload(Some(processing.unchecked_ref()));
        }
        let finished = {
            let xhr = xhr.clone();
            js_sys::Promise::new(&mut |resolve, _| {
                let done = Closure::once_into_js(move || {
                    let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
                });
                xhr.set_onloadend(Some(done.unchecked_ref()));
            })
        };
        xhr.send_with_opt_str(Some(&body)).map_err(|_| network())?;
        let _ = wasm_bindgen_futures::JsFuture::from(finished).await;
        drop(on_progress);
        let status = xhr.status().unwrap_or(0);
        let text = xhr.response_text().ok().flatten().unwrap_or_default();
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(json)
        } else {
            Err(crate::pipeline::call_failed(status, json))
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (url, content_type, body, stage);
        Err(crate::pipeline::call_failed(0, Value::Null))
    }
}

/// The text of the file chosen in `input`, with its name.
async fn chosen_file(ev: leptos::ev::Event) -> Option<(String, String)> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let input: web_sys::HtmlInputElement = ev.target()?.dyn_into().ok()?;
        let file = input.files()?.get(0)?;
        let text = wasm_bindgen_futures::JsFuture::from(file.text())
            .await
            .ok()?;
        Some((file.name(), text.as_string()?))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}

fn refused_rows(failure: &Failure, locale: Locale) -> AnyView {
    let errors = failure.body["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let more = failure.body["more_errors"].as_bool().unwrap_or(false);
    let general = errors.is_empty().then(|| failure_text(failure, locale));
    let rows = errors
        .into_iter()
        .map(|e| {
            let row = e["row"].as_u64();
            // The rule by its code, in the user's language (the row has its own column).
            let refusal = crate::errors::RowFailure::deserialize(&e).map(|mut r| {
                r.row = None;
                r.field = None;
                r
            });
            let field = e["field"]
                .as_str()
                .map(|f| crate::errors::field_label(f, locale));
            let problem = match refusal {
                Ok(r) => crate::errors::row_error(&r, locale),
                Err(_) => crate::errors::describe("invalid", &Default::default(), locale),
            };
            view! {
                <tr data-testid=format!("error-row-{}", row.map_or("file".to_owned(), |r| r.to_string()))>
                    <td>{row.map_or(ImportText::WholeFile.text(locale).to_owned(), |r| r.to_string())}</td>
                    <td>{field.unwrap_or_default()}</td>
                    <td>{problem}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="panel import-refused" data-testid="import-refused">
            <p class="error">{ImportText::Refused.text(locale)}</p>
            {general.map(|g| view! { <p class="error">{g}</p> })}
            <table class="admin-table">
                <thead><tr>
                    <th>{ImportText::Row.text(locale)}</th>
                    <th>{ImportText::Field.text(locale)}</th>
                    <th>{ImportText::Problem.text(locale)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {more.then(|| view! { <p class="muted">{ImportText::MoreErrors.text(locale)}</p> })}
            <p class="muted">{ImportText::NothingWritten.text(locale)}</p>
        </div>
    }
    .into_any()
}

fn checked_rows(answer: &Value, locale: Locale) -> AnyView {
    let valid = answer["valid"].as_u64().unwrap_or_default();
    let reports = answer["rows"].as_array().cloned().unwrap_or_default();
    let rows = reports
        .into_iter()
        .map(|r| {
            let row = r["row"].as_u64().unwrap_or_default();
            let place = r["geocoded"].as_object().map(|g| {
                format!(
                    "{} ({})",
                    g.get("matched_name")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    precision_text(
                        g.get("precision")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    )
                    .text(locale)
                )
            });
            let mut duplicates: Vec<String> = r["duplicates"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .filter_map(|d| d["account_id"].as_i64())
                        .map(|id| format!("{} #{id}", ImportText::Account.text(locale)))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(same) = r["same_as_rows"].as_array() {
                duplicates.extend(
                    same.iter()
                        .filter_map(Value::as_u64)
                        .map(|n| format!("{} {n}", ImportText::SameAsRows.text(locale))),
                );
            }
            view! {
                <tr data-testid=format!("report-row-{row}")>
                    <td>{row}</td>
                    <td>{place.unwrap_or_else(|| ImportText::Given.text(locale).to_owned())}</td>
                    <td>{duplicates.join(", ")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="panel import-checked" data-testid="import-checked">
            <p class="notice">{ImportText::DryRunOk.text(locale)}</p>
            <dl class="figures">
                <div class="figure"><dt>{ImportText::ToCreate.text(locale)}</dt><dd data-testid="to-create">{valid}</dd></div>
                <div class="figure"><dt>{ImportText::ToUpdate.text(locale)}</dt><dd>"0"</dd></div>
            </dl>
            <table class="admin-table">
                <thead><tr>
                    <th>{ImportText::Row.text(locale)}</th>
                    <th>{ImportText::Position.text(locale)} " · " {ImportText::Precision.text(locale)}</th>
                    <th>{ImportText::Duplicates.text(locale)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let locale = use_locale();
    let stage = RwSignal::new(Stage::Idle);
    let file = RwSignal::new(None::<(String, String)>);

    let send = move |dry_run: bool| {
        let Some((name, text)) = file.get_untracked() else {
            return;
        };
        stage.set(Stage::Uploading(0.0));
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/accounts/import?dry_run={dry_run}");
            let result = upload(url, content_type(&name), text, stage).await;
            stage.set(match result {
                Ok(answer) if dry_run => Stage::Checked(answer),
                Ok(answer) => Stage::Imported(answer),
                Err(f) => Stage::Refused(f),
            });
        });
    };
    let choose = move |ev: leptos::ev::Event| {
        leptos::task::spawn_local(async move {
            if let Some(chosen) = chosen_file(ev).await {
                file.set(Some(chosen));
                send(true);
            }
        });
    };

    let progress =
        move || {
            match stage.get() {
        Stage::Uploading(sent) => Some(view! {
            <div class="import-progress" data-testid="import-progress">
                <span>{tr(ImportText::Uploading)} " " {format!("{:.0} %", sent * 100.0)}</span>
                <progress max="100" value=format!("{:.0}", sent * 100.0)></progress>
            </div>
        }.into_any()),
        Stage::Processing => Some(view! {
            <div class="import-progress" data-testid="import-progress">
                <span>{tr(ImportText::Processing)}</span>
                <progress></progress>
            </div>
        }.into_any()),
        _ => None,
    }
        };
    let outcome = move || {
        let locale = locale.get();
        match stage.get() {
            Stage::Checked(answer) => Some(view! {
                {checked_rows(&answer, locale)}
                <button class="action primary" type="button" data-testid="import-commit"
                    on:click=move |_| send(false)>{ImportText::Commit.text(locale)}</button>
            }.into_any()),
            Stage::Imported(answer) => Some(view! {
                <p class="notice panel" data-testid="import-done">
                    {ImportText::Imported.text(locale)} " " {answer["imported"].as_u64().unwrap_or_default()}
                </p>
            }.into_any()),
            Stage::Refused(failure) => Some(refused_rows(&failure, locale)),
            _ => None,
        }
    };
    let file_name = move || file.get().map(|(name, _)| name);
    // Set once the page runs in the browser: the file input works from then on.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));

    view! {
        <div class="sales-page">
            <Header title=Msg::NavImport />
            <main class="sales-main import-main" data-ready=move || ready.get().to_string()>
                <section class="panel">
                    <p class="muted">{tr(ImportText::Formats)}</p>
                    <label class="action file-action" data-testid="import-choose">
                        {tr(ImportText::Choose)}
                        <input type="file" accept=".csv,.geojson,.json,text/csv,application/geo+json"
                            data-testid="import-file" on:change=choose />
                    </label>
                    <span class="muted" data-testid="import-file-name">{file_name}</span>
                </section>
                {progress}
                {outcome}
                <section class="panel">
                    <h2>{tr(ImportText::Export)}</h2>
                    <a class="action" href="/api/v1/accounts/export?format=csv" download data-testid="export-csv">{tr(ImportText::ExportCsv)}</a>
                    " "
                    <a class="action" href="/api/v1/accounts/export?format=geojson" download data-testid="export-geojson">{tr(ImportText::ExportGeojson)}</a>
                </section>
            </main>
        </div>
    }
}
