//! `/today`: a sales rep's day — their open tasks that are overdue (oldest first), then the
//! ones due today, then today's visits at their accounts. One tap completes a task; the server
//! writes it into the account's history. (A technician's own day is `/tech`, "My day".)

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::Header;
use crate::i18n::{Msg, Text, tr, use_locale, visit_status_msg};
use crate::pipeline::{Failure, Words, call, failure_text, format_date, priority_msg};

/// Texts of the day page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayText {
    Overdue,
    DueToday,
    Visits,
    Done,
    Completed,
    NoTasks,
    NoVisits,
    Was,
    AtRiskAlongRoute,
}

impl Text for DayText {
    fn both(self) -> [&'static str; 2] {
        use DayText::*;
        match self {
            Overdue => ["Overdue", "Terlambat"],
            DueToday => ["Due today", "Jatuh tempo hari ini"],
            Visits => ["Visits today", "Kunjungan hari ini"],
            Done => ["Done", "Selesai"],
            Completed => [
                "Done — written to the account's history.",
                "Selesai — dicatat di riwayat akun.",
            ],
            NoTasks => ["No tasks.", "Tidak ada tugas."],
            NoVisits => ["No visits today.", "Tidak ada kunjungan hari ini."],
            Was => ["was due", "jatuh tempo"],
            AtRiskAlongRoute => [
                "Valuable customers at risk along today's route →",
                "Pelanggan bernilai berisiko sepanjang rute hari ini →",
            ],
        }
    }
}

#[component]
pub fn TodayPage() -> impl IntoView {
    let locale = use_locale();
    let day = RwSignal::new(None::<Value>);
    let failure = RwSignal::new(None::<Failure>);
    let completed = RwSignal::new(false);
    let reload = RwSignal::new(0u32);

    Effect::new(move |_| {
        reload.track();
        leptos::task::spawn_local(async move {
            match call("GET", "/api/v1/my-day".into(), None).await {
                Ok(answer) => day.set(Some(answer)),
                Err(f) => failure.set(Some(f)),
            }
        });
    });
    let complete = move |id: i64, version: i64| {
        leptos::task::spawn_local(async move {
            let body = json!({"version": version});
            match call("POST", format!("/api/v1/tasks/{id}/complete"), Some(body)).await {
                Ok(_) => {
                    failure.set(None);
                    completed.set(true);
                }
                Err(f) => {
                    completed.set(false);
                    failure.set(Some(f));
                }
            }
            reload.update(|n| *n += 1);
        });
    };
    let task = move |task: Value, overdue: bool| {
        let id = task["id"].as_i64().unwrap_or_default();
        let version = task["version"].as_i64().unwrap_or_default();
        let due = task["due_on"].as_str().unwrap_or_default().to_owned();
        let priority = task["priority"].as_str().unwrap_or("normal").to_owned();
        view! {
            <li class="task-row" class:overdue=overdue data-testid=format!("task-{id}")>
                <div class="task-what">
                    <strong>{task["title"].as_str().unwrap_or_default().to_owned()}</strong>
                    <span class="muted">{task["account_name"].as_str().unwrap_or_default().to_owned()}</span>
                    <span class=format!("priority-chip priority-{priority}")>{tr(priority_msg(&priority))}</span>
                    {overdue.then(|| view! {
                        <span class="muted">{tr(DayText::Was)} " " {move || format_date(&due, locale.get())}</span>
                    })}
                </div>
                <button class="action primary done-button" type="button" data-testid=format!("task-{id}-done")
                    on:click=move |_| complete(id, version)>
                    "✓ " {tr(DayText::Done)}
                </button>
            </li>
        }
    };
    let tasks = move |key: &'static str, overdue: bool| {
        move || {
            let items = day.with(|d| {
                d.as_ref()
                    .map(|d| d[key].as_array().cloned().unwrap_or_default())
            });
            match items {
                None => view! { <p class="muted">{tr(Words::Loading)}</p> }.into_any(),
                Some(items) if items.is_empty() => view! { <p class="muted">{tr(DayText::NoTasks)}</p> }.into_any(),
                Some(items) => view! {
                    <ul class="task-list">{items.into_iter().map(|t| task(t, overdue)).collect_view()}</ul>
                }
                .into_any(),
            }
        }
    };
    let visits = move || {
        let items = day.with(|d| {
            d.as_ref()
                .map(|d| d["visits"].as_array().cloned().unwrap_or_default())
        });
        match items {
            None => view! { <p class="muted">{tr(Words::Loading)}</p> }.into_any(),
            Some(items) if items.is_empty() => view! { <p class="muted">{tr(DayText::NoVisits)}</p> }.into_any(),
            Some(items) => view! {
                <ul class="task-list">
                    {items.into_iter().map(|v| {
                        let time = crate::pipeline::local_time(v["window_start"].as_str().unwrap_or_default());
                        let status = v["status"].as_str().and_then(visit_status_msg).unwrap_or(Msg::Nothing);
                        view! {
                            <li class="task-row">
                                <div class="task-what">
                                    <strong>{v["account_name"].as_str().unwrap_or_default().to_owned()}</strong>
                                    <span class="muted">{time}</span>
                                    <span class="status-chip">{tr(status)}</span>
                                </div>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any(),
        }
    };
    let date = move || {
        day.with(|d| {
            d.as_ref()
                .and_then(|d| d["date"].as_str().map(str::to_owned))
        })
        .map(|d| format_date(&d, locale.get()))
        .unwrap_or_default()
    };

    // The analytics page's customers at risk near the day's visits, for those who may read it.
    let at_risk_link = crate::use_signed_in()
        .is_some_and(|c| c.may("analytics", wilayah_shared::access::Action::Read));
    view! {
        <div class="sales-page">
            <Header title=Msg::NavToday />
            <main class="sales-main today-main">
                <h2 class="today-date" data-testid="today-date">{date}</h2>
                <div role="status" aria-live="polite" class="sales-messages">
                    {move || failure.get().map(|f| view! { <p class="error" data-testid="today-error">{failure_text(&f, locale.get())}</p> })}
                    {move || completed.get().then(|| view! { <p class="notice" data-testid="today-notice">{tr(DayText::Completed)}</p> })}
                </div>
                <section class="panel" data-testid="today-overdue">
                    <h2>{tr(DayText::Overdue)}</h2>
                    {tasks("overdue", true)}
                </section>
                <section class="panel" data-testid="today-due">
                    <h2>{tr(DayText::DueToday)}</h2>
                    {tasks("today", false)}
                </section>
                <section class="panel" data-testid="today-visits">
                    <h2>{tr(DayText::Visits)}</h2>
                    {visits}
                    {at_risk_link.then(|| view! {
                        <a class="action" href="/analytics?near=route#map" data-testid="today-at-risk">{tr(DayText::AtRiskAlongRoute)}</a>
                    })}
                </section>
            </main>
        </div>
    }
}
