//! `/leads`: the caller's prospects and their flow, new → contacted → qualified, or
//! disqualified with a reason from a list (plus free text). A qualified lead converts into a
//! customer with its first deal in one step (the server writes both in one transaction). Each
//! move goes to `POST /api/v1/accounts/{id}/lead`, which checks the flow and writes the history;
//! a refused move names its field, a stale one (409) reloads the list and says so.

use leptos::prelude::*;
use serde_json::{Value, json};
use wilayah_shared::domain::AccountStatus;
use wilayah_shared::pipeline::DISQUALIFY_REASONS;

use crate::i18n::{Msg, Text, status_msg, tr, use_locale};
use crate::pipeline::{Failure, NewTaskForm, Words, call, failure_text};
use crate::{Header, format_money};

/// Texts of the leads page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadText {
    Search,
    AllStatuses,
    Contacted,
    Qualify,
    Disqualify,
    WorkAgain,
    Convert,
    Reason,
    ChooseReason,
    Note,
    ConfirmDisqualify,
    DealTitle,
    DealValue,
    ExpectedClose,
    ConfirmConvert,
    Converted,
    MovedTo,
    Previous,
    Next,
    Count,
    ReasonNoBudget,
    ReasonNoNeed,
    ReasonCompetitor,
    ReasonUnreachable,
    ReasonOutOfArea,
    ReasonOther,
    Owner,
}

impl Text for LeadText {
    fn both(self) -> [&'static str; 2] {
        use LeadText::*;
        match self {
            Search => ["Search by name", "Cari nama"],
            AllStatuses => ["All statuses", "Semua status"],
            Contacted => ["Mark contacted", "Tandai sudah dihubungi"],
            Qualify => ["Qualify", "Kualifikasi"],
            Disqualify => ["Disqualify", "Diskualifikasi"],
            WorkAgain => ["Work again", "Proses lagi"],
            Convert => ["Convert to customer", "Jadikan pelanggan"],
            Reason => ["Reason", "Alasan"],
            ChooseReason => ["Choose a reason", "Pilih alasan"],
            Note => ["Note", "Catatan"],
            ConfirmDisqualify => ["Disqualify lead", "Diskualifikasi prospek"],
            DealTitle => ["First deal", "Peluang pertama"],
            DealValue => ["Value (Rp)", "Nilai (Rp)"],
            ExpectedClose => ["Expected close", "Perkiraan closing"],
            ConfirmConvert => [
                "Convert and open the deal",
                "Jadikan pelanggan dan buka peluang",
            ],
            Converted => [
                "Converted: now a customer, with its first deal on the pipeline.",
                "Berhasil: kini pelanggan, dengan peluang pertama di pipeline.",
            ],
            MovedTo => ["Now:", "Sekarang:"],
            Previous => ["Previous", "Sebelumnya"],
            Next => ["Next", "Berikutnya"],
            Count => ["leads", "prospek"],
            ReasonNoBudget => ["No budget", "Tidak ada anggaran"],
            ReasonNoNeed => ["No need", "Tidak butuh"],
            ReasonCompetitor => ["Went to a competitor", "Memilih pesaing"],
            ReasonUnreachable => ["Unreachable", "Tidak dapat dihubungi"],
            ReasonOutOfArea => ["Outside our area", "Di luar area kami"],
            ReasonOther => ["Other (say why)", "Lainnya (jelaskan)"],
            Owner => ["Owner", "Pemilik"],
        }
    }
}

/// The label of a disqualification reason, by its stored name.
pub fn reason_text(reason: &str) -> LeadText {
    match reason {
        "no_budget" => LeadText::ReasonNoBudget,
        "no_need" => LeadText::ReasonNoNeed,
        "competitor" => LeadText::ReasonCompetitor,
        "unreachable" => LeadText::ReasonUnreachable,
        "out_of_area" => LeadText::ReasonOutOfArea,
        _ => LeadText::ReasonOther,
    }
}

const PAGE: u64 = 50;

/// What is open under a lead's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Disqualify(i64),
    Convert(i64),
    Task(i64),
}

#[component]
pub fn LeadsPage() -> impl IntoView {
    let locale = use_locale();
    let leads = RwSignal::new(None::<(Vec<Value>, i64)>);
    let status = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let offset = RwSignal::new(0u64);
    let failure = RwSignal::new(None::<Failure>);
    let notice = RwSignal::new(None::<&'static str>);
    let open = RwSignal::new(None::<Open>);
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let deal_title = RwSignal::new(String::new());
    let deal_value = RwSignal::new(String::new());
    let deal_close = RwSignal::new(String::new());
    let reload = RwSignal::new(0u32);
    let owners = RwSignal::new(Vec::<(i64, String)>::new());

    Effect::new(move |_| {
        reload.track();
        let mut url = format!(
            "/api/v1/accounts?kind=prospect&sort=name&limit={PAGE}&offset={}",
            offset.get()
        );
        let s = status.get();
        if !s.is_empty() {
            url.push_str(&format!("&status={s}"));
        }
        let q = search.get();
        if !q.trim().is_empty() {
            let q: String = form_urlencoded::byte_serialize(q.trim().as_bytes()).collect();
            url.push_str(&format!("&q={q}"));
        }
        leptos::task::spawn_local(async move {
            match call("GET", url, None).await {
                Ok(page) => leads.set(Some((
                    page["items"].as_array().cloned().unwrap_or_default(),
                    page["total"].as_i64().unwrap_or_default(),
                ))),
                Err(f) => failure.set(Some(f)),
            }
        });
    });
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(page) = call("GET", "/api/v1/staff?limit=1000".into(), None).await {
                owners.set(crate::pipeline::named(&page));
            }
        });
    });

    let after = move |result: Result<Value, Failure>, done: Option<&'static str>| match result {
        Ok(_) => {
            failure.set(None);
            notice.set(done);
            open.set(None);
            reload.update(|n| *n += 1);
        }
        Err(f) => {
            notice.set(None);
            if f.status == 409 {
                reload.update(|n| *n += 1);
            }
            failure.set(Some(f));
        }
    };
    let step = move |id: i64, version: i64, to: &'static str, why: Option<(String, String)>| {
        let mut body = json!({"version": version, "status": to});
        if let Some((r, n)) = why {
            body["reason"] = r.into();
            if !n.trim().is_empty() {
                body["note"] = n.into();
            }
        }
        leptos::task::spawn_local(async move {
            let result = call("POST", format!("/api/v1/accounts/{id}/lead"), Some(body)).await;
            after(result, None);
        });
    };
    let convert = move |id: i64, version: i64| {
        let mut deal = json!({"title": deal_title.get_untracked()});
        if let Ok(v) = deal_value
            .get_untracked()
            .replace(['.', ','], "")
            .parse::<i64>()
        {
            deal["value_minor"] = v.into();
        }
        let close = deal_close.get_untracked();
        if !close.is_empty() {
            deal["expected_close"] = close.into();
        }
        let body = json!({"version": version, "deal": deal});
        leptos::task::spawn_local(async move {
            let result = call("POST", format!("/api/v1/accounts/{id}/convert"), Some(body)).await;
            after(result, Some(LeadText::Converted.both()[0]));
        });
    };

    let row = move |lead: Value| {
        let id = lead["id"].as_i64().unwrap_or_default();
        let version = lead["version"].as_i64().unwrap_or_default();
        let name = lead["name"].as_str().unwrap_or_default().to_owned();
        let current: Option<AccountStatus> = lead["status"].as_str().and_then(|s| s.parse().ok());
        let owner = lead["owner_id"].as_i64().and_then(|o| {
            owners.with_untracked(|all| all.iter().find(|(id, _)| *id == o).map(|(_, n)| n.clone()))
        });
        let button =
            move |label: LeadText, testid: &'static str, action: Box<dyn Fn() + Send + Sync>| {
                view! {
                    <button class="action" type="button" data-testid=format!("lead-{id}-{testid}")
                        on:click=move |_| action()>{tr(label)}</button>
                }
            };
        use AccountStatus::*;
        let actions = match current {
            Some(New) => vec![
                button(
                    LeadText::Contacted,
                    "contacted",
                    Box::new(move || step(id, version, "contacted", None)),
                ),
                button(
                    LeadText::Disqualify,
                    "disqualify",
                    Box::new(move || {
                        reason.set(String::new());
                        note.set(String::new());
                        open.set(Some(Open::Disqualify(id)))
                    }),
                ),
            ],
            Some(Contacted) => vec![
                button(
                    LeadText::Qualify,
                    "qualify",
                    Box::new(move || step(id, version, "qualified", None)),
                ),
                button(
                    LeadText::Disqualify,
                    "disqualify",
                    Box::new(move || {
                        reason.set(String::new());
                        note.set(String::new());
                        open.set(Some(Open::Disqualify(id)))
                    }),
                ),
            ],
            Some(Qualified) => vec![
                button(
                    LeadText::Convert,
                    "convert",
                    Box::new({
                        let name = name.clone();
                        move || {
                            deal_title.set(name.clone());
                            deal_value.set(String::new());
                            deal_close.set(String::new());
                            open.set(Some(Open::Convert(id)))
                        }
                    }),
                ),
                button(
                    LeadText::Disqualify,
                    "disqualify",
                    Box::new(move || {
                        reason.set(String::new());
                        note.set(String::new());
                        open.set(Some(Open::Disqualify(id)))
                    }),
                ),
            ],
            Some(Disqualified) => vec![button(
                LeadText::WorkAgain,
                "again",
                Box::new(move || step(id, version, "contacted", None)),
            )],
            _ => vec![],
        };
        let disqualify_form = move || {
            (open.get() == Some(Open::Disqualify(id))).then(|| {
                let reasons = DISQUALIFY_REASONS
                    .iter()
                    .map(|r| view! { <option value=*r>{tr(reason_text(r))}</option> })
                    .collect_view();
                view! {
                    <form class="inline-form" data-testid=format!("lead-{id}-disqualify-form") on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        step(id, version, "disqualified", Some((reason.get_untracked(), note.get_untracked())));
                    }>
                        <label>
                            <span>{tr(LeadText::Reason)}</span>
                            <select required data-testid="disqualify-reason" on:change=move |ev| reason.set(event_target_value(&ev))>
                                <option value="" selected=true disabled=true>{tr(LeadText::ChooseReason)}</option>
                                {reasons}
                            </select>
                        </label>
                        <label>
                            <span>{tr(LeadText::Note)}</span>
                            <input maxlength="500" data-testid="disqualify-note" required=move || reason.get() == "other"
                                prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                        </label>
                        <button class="action primary" type="submit" data-testid="disqualify-confirm">{tr(LeadText::ConfirmDisqualify)}</button>
                        <button class="action subtle" type="button" on:click=move |_| open.set(None)>{tr(Words::Cancel)}</button>
                    </form>
                }
            })
        };
        let convert_form = move || {
            (open.get() == Some(Open::Convert(id))).then(|| view! {
                <form class="inline-form" data-testid=format!("lead-{id}-convert-form") on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    convert(id, version);
                }>
                    <label>
                        <span>{tr(LeadText::DealTitle)}</span>
                        <input required maxlength="200" data-testid="convert-title" prop:value=move || deal_title.get()
                            on:input=move |ev| deal_title.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        <span>{tr(LeadText::DealValue)}</span>
                        <input inputmode="numeric" data-testid="convert-value" prop:value=move || deal_value.get()
                            on:input=move |ev| deal_value.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        <span>{tr(LeadText::ExpectedClose)}</span>
                        <input type="date" data-testid="convert-close" prop:value=move || deal_close.get()
                            on:input=move |ev| deal_close.set(event_target_value(&ev)) />
                    </label>
                    <button class="action primary" type="submit" data-testid="convert-confirm">{tr(LeadText::ConfirmConvert)}</button>
                    <button class="action subtle" type="button" on:click=move |_| open.set(None)>{tr(Words::Cancel)}</button>
                </form>
            })
        };
        let task_form = move || {
            (open.get() == Some(Open::Task(id))).then(|| {
                view! {
                    <NewTaskForm account_id=id on_close=move || open.set(None) />
                }
            })
        };
        let status_label = current.map(status_msg).unwrap_or(Msg::Nothing);
        let revenue = lead["revenue_minor"]
            .as_i64()
            .filter(|r| *r > 0)
            .map(|r| format_money(r, lead["currency"].as_str().unwrap_or("IDR")));
        view! {
            <li class="lead-row" data-testid=format!("lead-{id}")>
                <div class="lead-head">
                    <strong class="lead-name">{name.clone()}</strong>
                    <span class=format!("status-chip status-{}", lead["status"].as_str().unwrap_or_default())
                        data-testid=format!("lead-{id}-status")>{tr(status_label)}</span>
                    {owner.map(|o| view! { <span class="muted">{tr(LeadText::Owner)} ": " {o}</span> })}
                    {revenue.map(|r| view! { <span class="muted">{r}</span> })}
                    <span class="lead-actions">
                        {actions}
                        <button class="action subtle" type="button" data-testid=format!("lead-{id}-task")
                            on:click=move |_| open.set(Some(Open::Task(id)))>{tr(Words::AddTask)}</button>
                    </span>
                </div>
                {disqualify_form}
                {convert_form}
                {task_form}
            </li>
        }
    };

    let list = move || {
        match leads.get() {
        None => view! { <p class="muted">{tr(Words::Loading)}</p> }.into_any(),
        Some((items, _)) if items.is_empty() => view! { <p class="muted">{tr(Words::Empty)}</p> }.into_any(),
        Some((items, _)) => view! { <ul class="lead-list" data-testid="lead-list">{items.into_iter().map(row).collect_view()}</ul> }.into_any(),
    }
    };
    let total = move || leads.get().map(|(_, t)| t).unwrap_or_default();
    let statuses = [
        AccountStatus::New,
        AccountStatus::Contacted,
        AccountStatus::Qualified,
        AccountStatus::Disqualified,
    ]
    .into_iter()
    .map(|s| view! { <option value=s.as_str()>{tr(status_msg(s))}</option> })
    .collect_view();

    view! {
        <div class="sales-page">
            <Header title=Msg::NavLeads />
            <main class="sales-main leads-main">
                <div class="sales-filters">
                    <label>
                        <span>{tr(LeadText::Search)}</span>
                        <input type="search" data-testid="lead-search" prop:value=move || search.get()
                            on:change=move |ev| { offset.set(0); search.set(event_target_value(&ev)) } />
                    </label>
                    <label>
                        <span>{tr(Msg::StatusLabel)}</span>
                        <select data-testid="lead-status-filter" on:change=move |ev| { offset.set(0); status.set(event_target_value(&ev)) }>
                            <option value="">{tr(LeadText::AllStatuses)}</option>
                            {statuses}
                        </select>
                    </label>
                    <p class="muted" data-testid="lead-total">{total} " " {tr(LeadText::Count)}</p>
                </div>
                <div role="status" aria-live="polite" class="sales-messages">
                    {move || failure.get().map(|f| view! { <p class="error" data-testid="lead-error">{failure_text(&f, locale.get())}</p> })}
                    {move || notice.get().map(|_| view! { <p class="notice" data-testid="lead-notice">{tr(LeadText::Converted)}</p> })}
                </div>
                {list}
                <div class="pager">
                    <button class="action subtle" type="button" disabled=move || offset.get() == 0
                        on:click=move |_| offset.update(|o| *o = o.saturating_sub(PAGE))>{tr(LeadText::Previous)}</button>
                    <button class="action subtle" type="button" disabled=move || { offset.get() + PAGE >= total() as u64 }
                        on:click=move |_| offset.update(|o| *o += PAGE)>{tr(LeadText::Next)}</button>
                </div>
            </main>
        </div>
    }
}
