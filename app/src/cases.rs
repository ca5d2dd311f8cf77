//! `/cases`: the case queue. Three views — my cases, my team's (my territories), all I see —
//! filtered by status, priority, SLA state, category and territory, sorted by urgency (breached
//! first, then the soonest due), priority or age. Each case shows where its SLA stands in words
//! ("2 h 15 min left to resolve", "response overdue by 40 min"; business time), and the moves
//! the cases' flow allows: assign (to me or someone), start, resolve with a resolution, close,
//! reopen — each a `PATCH /api/v1/cases/{id}` with the version read, so a stale one (409)
//! reloads and says so. The SLA policies are listed below the queue.
//!
//! Data comes after hydration from `/api/v1/cases/queue`, `/staff`, `/territories` and
//! `/sla-policies`. The texts the service pages share (categories, SLA words) live here.

use leptos::prelude::*;
use serde_json::{Value, json};
use wilayah_shared::service::CASE_CATEGORIES;

use crate::i18n::{Locale, Msg, Text, case_status_msg, code_label, tr, use_locale};
use crate::pipeline::{Failure, Words, call, failure_text, format_date, local_time, priority_msg};
use crate::{Header, use_signed_in};

/// Texts of the service desk pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseText {
    Mine,
    Team,
    All,
    Status,
    OpenCases,
    AnyPriority,
    Sla,
    AnySla,
    Category,
    AnyCategory,
    Territory,
    AnyTerritory,
    Sort,
    SortSla,
    SortPriority,
    SortNewest,
    SortOldest,
    SlaOnTrack,
    SlaAtRisk,
    SlaBreached,
    SlaMet,
    SlaNone,
    Unassigned,
    AssignedTo,
    AssignToMe,
    Assign,
    ChooseStaff,
    Start,
    Resolve,
    Resolution,
    ConfirmResolve,
    CloseCase,
    Reopen,
    Escalated,
    LeftToRespond,
    LeftToResolve,
    ResponseOverdue,
    ResolutionOverdue,
    Met,
    MetLate,
    NoSla,
    BusinessTime,
    Saved,
    NoCases,
    Opened,
    Policies,
    PoliciesHint,
    Priority,
    Response,
    ResolutionTarget,
    AllCategories,
    Hours,
    Holidays,
    CatBilling,
    CatDelivery,
    CatProduct,
    CatInstallation,
    CatMaintenance,
    CatComplaint,
    CatOther,
    ChannelStaff,
    ChannelWeb,
    ChannelPhone,
    ChannelEmail,
    Confirmation,
    EscalatedResponse,
    EscalatedResolution,
}

impl Text for CaseText {
    fn both(self) -> [&'static str; 2] {
        use CaseText::*;
        match self {
            Mine => ["My cases", "Kasus saya"],
            Team => ["My team", "Tim saya"],
            All => ["All open", "Semua terbuka"],
            Status => ["Status", "Status"],
            OpenCases => ["Open (new, in progress)", "Terbuka (baru, diproses)"],
            AnyPriority => ["Any priority", "Semua prioritas"],
            Sla => ["SLA", "SLA"],
            AnySla => ["Any SLA state", "Semua status SLA"],
            Category => ["Category", "Kategori"],
            AnyCategory => ["Any category", "Semua kategori"],
            Territory => ["Territory", "Wilayah"],
            AnyTerritory => ["Any territory", "Semua wilayah"],
            Sort => ["Sort", "Urutkan"],
            SortSla => ["Most urgent first", "Paling mendesak dulu"],
            SortPriority => ["Priority", "Prioritas"],
            SortNewest => ["Newest", "Terbaru"],
            SortOldest => ["Oldest", "Terlama"],
            SlaOnTrack => ["On track", "Sesuai jadwal"],
            SlaAtRisk => ["At risk", "Berisiko"],
            SlaBreached => ["Breached", "Terlewat"],
            SlaMet => ["Met", "Terpenuhi"],
            SlaNone => ["No SLA", "Tanpa SLA"],
            Unassigned => ["Unassigned", "Belum ditugaskan"],
            AssignedTo => ["Assigned to", "Ditangani"],
            AssignToMe => ["Take it", "Ambil"],
            Assign => ["Assign", "Tugaskan"],
            ChooseStaff => ["Choose someone", "Pilih petugas"],
            Start => ["Start", "Mulai"],
            Resolve => ["Resolve", "Selesaikan"],
            Resolution => ["How it was resolved", "Cara penyelesaian"],
            ConfirmResolve => ["Mark resolved", "Tandai selesai"],
            CloseCase => ["Close", "Tutup"],
            Reopen => ["Reopen", "Buka lagi"],
            Escalated => ["Escalated", "Dieskalasi"],
            LeftToRespond => ["left to respond", "untuk merespons"],
            LeftToResolve => ["left to resolve", "untuk menyelesaikan"],
            ResponseOverdue => ["Response overdue by", "Respons terlambat"],
            ResolutionOverdue => ["Resolution overdue by", "Penyelesaian terlambat"],
            Met => ["SLA met", "SLA terpenuhi"],
            MetLate => ["Resolved after the target", "Selesai melewati target"],
            NoSla => ["No SLA applies", "Tidak ada SLA"],
            BusinessTime => [
                "Times count working hours only (weekends and public holidays excluded).",
                "Waktu dihitung dalam jam kerja saja (tanpa akhir pekan dan hari libur nasional).",
            ],
            Saved => ["Saved.", "Tersimpan."],
            NoCases => ["No cases here.", "Tidak ada kasus di sini."],
            Opened => ["opened", "dibuka"],
            Policies => ["Service levels", "Tingkat layanan"],
            PoliciesHint => [
                "Targets per priority in working time; admins change them through the API (/api/v1/sla-policies).",
                "Target per prioritas dalam jam kerja; admin mengubahnya lewat API (/api/v1/sla-policies).",
            ],
            Priority => ["Priority", "Prioritas"],
            Response => ["Respond within", "Respons dalam"],
            ResolutionTarget => ["Resolve within", "Selesai dalam"],
            AllCategories => ["all categories", "semua kategori"],
            Hours => ["Service hours", "Jam layanan"],
            Holidays => ["public holidays", "hari libur nasional"],
            CatBilling => ["Billing", "Tagihan"],
            CatDelivery => ["Delivery", "Pengiriman"],
            CatProduct => ["Product", "Produk"],
            CatInstallation => ["Installation", "Pemasangan"],
            CatMaintenance => ["Maintenance", "Perawatan"],
            CatComplaint => ["Complaint", "Keluhan"],
            CatOther => ["Other", "Lainnya"],
            ChannelStaff => ["Recorded by staff", "Dicatat petugas"],
            ChannelWeb => ["Web form", "Formulir web"],
            ChannelPhone => ["Phone", "Telepon"],
            ChannelEmail => ["E-mail", "Surel"],
            Confirmation => ["Confirmation no.", "No. konfirmasi"],
            EscalatedResponse => [
                "escalated, response target missed",
                "dieskalasi, target respons terlewat",
            ],
            EscalatedResolution => [
                "escalated, resolution target missed",
                "dieskalasi, target penyelesaian terlewat",
            ],
        }
    }
}

/// The label of a case category, by its stored code ("other" for one it does not know).
pub fn category_text(code: &str) -> CaseText {
    match code {
        "billing" => CaseText::CatBilling,
        "delivery" => CaseText::CatDelivery,
        "product" => CaseText::CatProduct,
        "installation" => CaseText::CatInstallation,
        "maintenance" => CaseText::CatMaintenance,
        "complaint" => CaseText::CatComplaint,
        _ => CaseText::CatOther,
    }
}

/// The label of how a case came in.
pub fn channel_text(code: &str) -> CaseText {
    match code {
        "web" => CaseText::ChannelWeb,
        "phone" => CaseText::ChannelPhone,
        "email" => CaseText::ChannelEmail,
        _ => CaseText::ChannelStaff,
    }
}

/// The label of an SLA state.
pub fn sla_state_text(code: &str) -> CaseText {
    match code {
        "on_track" => CaseText::SlaOnTrack,
        "at_risk" => CaseText::SlaAtRisk,
        "breached" => CaseText::SlaBreached,
        "met" => CaseText::SlaMet,
        _ => CaseText::SlaNone,
    }
}

/// A span of business minutes in words: "45 min", "2 h 15 min" / "45 mnt", "2 jam 15 mnt".
pub fn minutes_in_words(minutes: i64, locale: Locale) -> String {
    let (h, m) = (minutes.max(0) / 60, minutes.max(0) % 60);
    let (hour, min) = match locale {
        Locale::En => ("h", "min"),
        Locale::Id => ("jam", "mnt"),
    };
    match (h, m) {
        (0, m) => format!("{m} {min}"),
        (h, 0) => format!("{} {hour}", crate::format_count_in(locale, h)),
        (h, m) => format!("{} {hour} {m} {min}", crate::format_count_in(locale, h)),
    }
}

/// Where a case's SLA stands, in words: the running target that matters most (a breached one,
/// else the first still running), or that both were met.
pub fn sla_words(sla: &Value, locale: Locale) -> String {
    let target = |key: &str| &sla[key];
    let state = |t: &Value| t["state"].as_str().unwrap_or_default().to_owned();
    for (key, overdue) in [
        ("response", CaseText::ResponseOverdue),
        ("resolution", CaseText::ResolutionOverdue),
    ] {
        if state(target(key)) == "breached" {
            let over = target(key)["minutes_over"].as_i64().unwrap_or_default();
            return format!(
                "{} {}",
                overdue.text(locale),
                minutes_in_words(over, locale)
            );
        }
    }
    for (key, left) in [
        ("response", CaseText::LeftToRespond),
        ("resolution", CaseText::LeftToResolve),
    ] {
        if matches!(state(target(key)).as_str(), "on_track" | "at_risk") {
            let minutes = target(key)["minutes_left"].as_i64().unwrap_or_default();
            return match locale {
                Locale::En => format!(
                    "{} {}",
                    minutes_in_words(minutes, locale),
                    left.text(locale)
                ),
                Locale::Id => format!(
                    "Sisa {} {}",
                    minutes_in_words(minutes, locale),
                    left.text(locale)
                ),
            };
        }
    }
    let late = [target("response"), target("resolution")]
        .iter()
        .any(|t| state(t) == "met_late");
    match (sla["state"].as_str(), late) {
        (Some("none") | None, _) => CaseText::NoSla.text(locale).to_owned(),
        (_, true) => CaseText::MetLate.text(locale).to_owned(),
        _ => CaseText::Met.text(locale).to_owned(),
    }
}

/// A history line's title in the page's language: the notes the server writes when a case's,
/// visit's or deal's status changes ("Leaking: new → in_progress") name their statuses by code,
/// and an escalation's note is stored in English; both read in words here. Other titles are
/// what people wrote.
pub fn history_title(title: &str, channel: Option<&str>, locale: Locale) -> String {
    if !matches!(channel, Some("case" | "visit" | "pipeline")) {
        return title.to_owned();
    }
    for (suffix, text) in [
        (
            ": escalated, response target missed",
            CaseText::EscalatedResponse,
        ),
        (
            ": escalated, resolution target missed",
            CaseText::EscalatedResolution,
        ),
    ] {
        if let Some(what) = title.strip_suffix(suffix) {
            return format!("{what}: {}", text.text(locale));
        }
    }
    let Some((what, change)) = title.rsplit_once(": ") else {
        return title.to_owned();
    };
    match change.split_once(" → ") {
        Some((from, to)) => format!(
            "{what}: {} → {}",
            crate::account_page::code_text(from, locale),
            crate::account_page::code_text(to, locale)
        ),
        None => title.to_owned(),
    }
}

/// A labelled `<select>` of code → label options with a first "any" option (value "").
fn code_select(
    label: CaseText,
    any: CaseText,
    testid: &'static str,
    options: Vec<(String, Box<dyn Fn() -> String + Send + Sync>)>,
    value: RwSignal<String>,
) -> impl IntoView {
    let options = options
        .into_iter()
        .map(|(code, text)| {
            let selected = {
                let code = code.clone();
                move || value.with(|v| *v == code)
            };
            view! { <option value=code selected=selected>{text}</option> }
        })
        .collect_view();
    view! {
        <label>
            <span>{tr(label)}</span>
            <select data-testid=testid on:change=move |ev| value.set(event_target_value(&ev))>
                <option value="">{tr(any)}</option>
                {options}
            </select>
        </label>
    }
}

fn texts<T: Text>(
    pairs: impl IntoIterator<Item = (&'static str, T)>,
) -> Vec<(String, Box<dyn Fn() -> String + Send + Sync>)> {
    let locale = use_locale();
    pairs
        .into_iter()
        .map(|(code, text)| {
            let f: Box<dyn Fn() -> String + Send + Sync> =
                Box::new(move || text.text(locale.get()).to_owned());
            (code.to_owned(), f)
        })
        .collect()
}

#[component]
pub fn CasesPage() -> impl IntoView {
    let locale = use_locale();
    let me = use_signed_in().and_then(|c| c.staff_id);
    let view_name = RwSignal::new("all".to_owned());
    let status = RwSignal::new(String::new());
    let priority = RwSignal::new(String::new());
    let sla = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let territory = RwSignal::new(String::new());
    let sort = RwSignal::new("sla".to_owned());
    let queue = RwSignal::new(None::<Value>);
    let failure = RwSignal::new(None::<Failure>);
    let saved = RwSignal::new(false);
    let reload = RwSignal::new(0u32);
    let staff = RwSignal::new(Vec::<(i64, String)>::new());
    let territories = RwSignal::new(Vec::<(i64, String)>::new());
    let policies = RwSignal::new(None::<Value>);
    let resolving = RwSignal::new(None::<i64>);
    let resolution = RwSignal::new(String::new());
    let assignee = RwSignal::new(String::new());

    Effect::new(move |_| {
        reload.track();
        let mut url = format!(
            "/api/v1/cases/queue?view={}&sort={}&limit=200",
            view_name.get(),
            sort.get()
        );
        for (key, value) in [
            ("status", status.get()),
            ("priority", priority.get()),
            ("sla", sla.get()),
            ("category", category.get()),
            ("territory_id", territory.get()),
        ] {
            if !value.is_empty() {
                url.push_str(&format!("&{key}={}", crate::rest::encode(&value)));
            }
        }
        leptos::task::spawn_local(async move {
            match call("GET", url, None).await {
                Ok(answer) => queue.set(Some(answer)),
                Err(f) => failure.set(Some(f)),
            }
        });
    });
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(page) = call("GET", "/api/v1/staff?limit=1000".into(), None).await {
                staff.set(crate::pipeline::named(&page));
            }
            if let Ok(page) = call("GET", "/api/v1/territories?limit=1000".into(), None).await {
                territories.set(crate::pipeline::named(&page));
            }
            if let Ok(answer) = call("GET", "/api/v1/sla-policies".into(), None).await {
                policies.set(Some(answer));
            }
        });
    });

    let patch = move |id: i64, body: Value| {
        leptos::task::spawn_local(async move {
            match call("PATCH", format!("/api/v1/cases/{id}"), Some(body)).await {
                Ok(_) => {
                    failure.set(None);
                    saved.set(true);
                    resolving.set(None);
                }
                Err(f) => {
                    saved.set(false);
                    failure.set(Some(f));
                }
            }
            reload.update(|n| *n += 1);
        });
    };

    let row = move |item: Value| {
        let id = item["id"].as_i64().unwrap_or_default();
        let version = item["version"].as_i64().unwrap_or_default();
        let case_status = item["status"].as_str().unwrap_or_default().to_owned();
        let case_priority = item["priority"].as_str().unwrap_or("normal").to_owned();
        let account_id = item["account_id"].as_i64().unwrap_or_default();
        let sla_value = item["sla"].clone();
        let sla_state = sla_value["state"].as_str().unwrap_or("none").to_owned();
        let assigned = item["assignee_name"].as_str().map(str::to_owned);
        let escalated = item["escalated"].as_array().is_some_and(|e| !e.is_empty());
        let created = item["created_at"].as_str().unwrap_or_default().to_owned();
        let reference = item["reference"].as_str().map(str::to_owned);
        let category_code = item["category"].as_str().unwrap_or("other").to_owned();
        let channel_code = item["channel"].as_str().unwrap_or("staff").to_owned();
        let words = {
            let sla_value = sla_value.clone();
            move || sla_words(&sla_value, locale.get())
        };
        let button = move |label: CaseText, testid: &'static str, body: Value| {
            view! {
                <button class="action" type="button" data-testid=format!("case-{id}-{testid}")
                    on:click=move |_| patch(id, body.clone())>{tr(label)}</button>
            }
        };
        let mut actions = Vec::new();
        if let Some(me) = me
            && matches!(case_status.as_str(), "new" | "in_progress")
            && item["assigned_to"].as_i64() != Some(me)
        {
            actions.push(
                button(
                    CaseText::AssignToMe,
                    "take",
                    json!({"version": version, "assigned_to": me}),
                )
                .into_any(),
            );
        }
        match case_status.as_str() {
            "new" => actions.push(
                button(
                    CaseText::Start,
                    "start",
                    json!({"version": version, "status": "in_progress"}),
                )
                .into_any(),
            ),
            "resolved" => {
                actions.push(
                    button(
                        CaseText::CloseCase,
                        "close",
                        json!({"version": version, "status": "closed"}),
                    )
                    .into_any(),
                );
                actions.push(
                    button(
                        CaseText::Reopen,
                        "reopen",
                        json!({"version": version, "status": "in_progress"}),
                    )
                    .into_any(),
                );
            }
            "closed" => actions.push(
                button(
                    CaseText::Reopen,
                    "reopen",
                    json!({"version": version, "status": "in_progress"}),
                )
                .into_any(),
            ),
            _ => {}
        }
        if matches!(case_status.as_str(), "new" | "in_progress") {
            actions.push(view! {
                <button class="action primary" type="button" data-testid=format!("case-{id}-resolve")
                    on:click=move |_| { resolution.set(String::new()); resolving.set(Some(id)) }>{tr(CaseText::Resolve)}</button>
            }.into_any());
        }
        let staff_options = move || {
            staff
                .get()
                .into_iter()
                .map(|(sid, name)| view! { <option value=sid.to_string()>{name}</option> })
                .collect_view()
        };
        let assign_form = view! {
            <form class="assign-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if let Ok(to) = assignee.get_untracked().parse::<i64>() {
                    patch(id, json!({"version": version, "assigned_to": to}));
                }
            }>
                <select aria-label=tr(CaseText::Assign) data-testid=format!("case-{id}-assignee") on:change=move |ev| assignee.set(event_target_value(&ev))>
                    <option value="">{tr(CaseText::ChooseStaff)}</option>
                    {staff_options}
                </select>
                <button class="action subtle" type="submit" data-testid=format!("case-{id}-assign")>{tr(CaseText::Assign)}</button>
            </form>
        };
        let resolve_form = move || {
            (resolving.get() == Some(id)).then(|| view! {
                <form class="inline-form" data-testid=format!("case-{id}-resolve-form") on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    patch(id, json!({"version": version, "status": "resolved", "resolution": resolution.get_untracked()}));
                }>
                    <label class="grow">
                        <span>{tr(CaseText::Resolution)}</span>
                        <input required maxlength="10000" data-testid="case-resolution" prop:value=move || resolution.get()
                            on:input=move |ev| resolution.set(event_target_value(&ev)) />
                    </label>
                    <button class="action primary" type="submit" data-testid="case-resolve-confirm">{tr(CaseText::ConfirmResolve)}</button>
                    <button class="action subtle" type="button" on:click=move |_| resolving.set(None)>{tr(Words::Cancel)}</button>
                </form>
            })
        };
        let status_label = code_label(&case_status, case_status_msg);
        view! {
            <li class=format!("case-row sla-{sla_state}") data-testid=format!("case-{id}")>
                <div class="case-head">
                    <div class="case-what">
                        <strong class="case-subject">{item["subject"].as_str().unwrap_or_default().to_owned()}</strong>
                        <a class="muted" href=format!("/accounts/{account_id}")>{item["account_name"].as_str().unwrap_or_default().to_owned()}</a>
                    </div>
                    <div class="case-chips">
                        <span class=format!("priority-chip priority-{case_priority}")>{tr(priority_msg(&case_priority))}</span>
                        <span class=format!("status-chip case-status-{case_status}") data-testid=format!("case-{id}-status")>{status_label}</span>
                        <span class="status-chip">{tr(category_text(&category_code))}</span>
                        {escalated.then(|| view! { <span class="status-chip escalated" data-testid=format!("case-{id}-escalated")>{tr(CaseText::Escalated)}</span> })}
                    </div>
                    <p class=format!("sla-words sla-{sla_state}") data-testid=format!("case-{id}-sla")>{words}</p>
                </div>
                <div class="case-meta muted">
                    <span>{tr(CaseText::AssignedTo)} ": " {match assigned { Some(n) => n.into_any(), None => tr(CaseText::Unassigned).into_any() }}</span>
                    <span>{tr(CaseText::Opened)} " " {let c = created.clone(); move || format!("{} {}", format_date(&c, locale.get()), local_time(&c))}</span>
                    <span>{tr(channel_text(&channel_code))}</span>
                    {reference.map(|r| view! { <span>{tr(CaseText::Confirmation)} " " {r}</span> })}
                </div>
                <div class="case-actions">{actions} {assign_form}</div>
                {resolve_form}
            </li>
        }
    };

    let list = move || match queue.get() {
        None => view! { <p class="muted">{tr(Words::Loading)}</p> }.into_any(),
        Some(q) => {
            let items = q["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                view! { <p class="muted" data-testid="case-empty">{tr(CaseText::NoCases)}</p> }
                    .into_any()
            } else {
                view! { <ul class="case-list" data-testid="case-list">{items.into_iter().map(row).collect_view()}</ul> }.into_any()
            }
        }
    };
    let tab = move |name: &'static str, label: CaseText| {
        let count = move || {
            queue.with(|q| {
                q.as_ref()
                    .and_then(|q| q["views"][name].as_u64())
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            })
        };
        view! {
            <button type="button" class="tab" class:active=move || view_name.get() == name
                aria-pressed=move || (view_name.get() == name).to_string()
                data-testid=format!("cases-view-{name}") on:click=move |_| view_name.set(name.to_owned())>
                {tr(label)} {count}
            </button>
        }
    };
    let statuses = texts([
        ("new", Msg::CaseNew),
        ("in_progress", Msg::CaseInProgress),
        ("resolved", Msg::CaseResolved),
        ("closed", Msg::CaseClosed),
    ]);
    let priorities = texts([
        ("urgent", Msg::PriorityUrgent),
        ("high", Msg::PriorityHigh),
        ("normal", Msg::PriorityNormal),
        ("low", Msg::PriorityLow),
    ]);
    let slas = texts(
        ["breached", "at_risk", "on_track", "met", "none"]
            .into_iter()
            .map(|c| (c, sla_state_text(c))),
    );
    let categories = texts(CASE_CATEGORIES.iter().map(|c| (*c, category_text(c))));
    let territory_options = move || {
        territories
            .get()
            .into_iter()
            .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
            .collect_view()
    };
    let sorts = [
        ("sla", CaseText::SortSla),
        ("priority", CaseText::SortPriority),
        ("-created_at", CaseText::SortNewest),
        ("created_at", CaseText::SortOldest),
    ]
    .into_iter()
    .map(|(code, label)| view! { <option value=code>{tr(label)}</option> })
    .collect_view();

    let policy_rows = move || {
        policies.get().map(|p| {
            let settings = &p["settings"];
            let rows = settings["policies"].as_array().cloned().unwrap_or_default().into_iter().map(|policy| {
                let prio = policy["priority"].as_str().unwrap_or("normal").to_owned();
                let cat = policy["category"].as_str().map(str::to_owned);
                let response = policy["response_min"].as_i64().unwrap_or_default();
                let resolve = policy["resolution_min"].as_i64().unwrap_or_default();
                view! {
                    <tr>
                        <td>{tr(priority_msg(&prio))}</td>
                        <td>{match cat { Some(c) => tr(category_text(&c)).into_any(), None => tr(CaseText::AllCategories).into_any() }}</td>
                        <td>{move || minutes_in_words(response, locale.get())}</td>
                        <td>{move || minutes_in_words(resolve, locale.get())}</td>
                    </tr>
                }
            }).collect_view();
            let hours = format!(
                "{}–{}",
                settings["work_start"].as_str().unwrap_or_default(),
                settings["work_end"].as_str().unwrap_or_default()
            );
            let holidays = settings["holidays"].as_array().map(Vec::len).unwrap_or_default();
            view! {
                <p class="muted">{tr(CaseText::Hours)} ": " {hours} " · " {holidays} " " {tr(CaseText::Holidays)}</p>
                <table class="policy-table" data-testid="sla-policies">
                    <thead><tr>
                        <th>{tr(CaseText::Priority)}</th><th>{tr(CaseText::Category)}</th>
                        <th>{tr(CaseText::Response)}</th><th>{tr(CaseText::ResolutionTarget)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
        })
    };

    view! {
        <div class="sales-page">
            <Header title=Msg::NavCases />
            <main class="sales-main cases-main">
                <div class="tabs" role="group" data-testid="cases-views">
                    {tab("mine", CaseText::Mine)}
                    {tab("team", CaseText::Team)}
                    {tab("all", CaseText::All)}
                </div>
                <div class="sales-filters">
                    {code_select(CaseText::Status, CaseText::OpenCases, "cases-status", statuses, status)}
                    {code_select(CaseText::Priority, CaseText::AnyPriority, "cases-priority", priorities, priority)}
                    {code_select(CaseText::Sla, CaseText::AnySla, "cases-sla", slas, sla)}
                    {code_select(CaseText::Category, CaseText::AnyCategory, "cases-category", categories, category)}
                    <label>
                        <span>{tr(CaseText::Territory)}</span>
                        <select data-testid="cases-territory" on:change=move |ev| territory.set(event_target_value(&ev))>
                            <option value="">{tr(CaseText::AnyTerritory)}</option>
                            {territory_options}
                        </select>
                    </label>
                    <label>
                        <span>{tr(CaseText::Sort)}</span>
                        <select data-testid="cases-sort" on:change=move |ev| sort.set(event_target_value(&ev))>{sorts}</select>
                    </label>
                </div>
                <p class="muted hint">{tr(CaseText::BusinessTime)}</p>
                <div role="status" aria-live="polite" class="sales-messages">
                    {move || failure.get().map(|f| view! { <p class="error" data-testid="cases-error">{failure_text(&f, locale.get())}</p> })}
                    {move || saved.get().then(|| view! { <p class="notice" data-testid="cases-notice">{tr(CaseText::Saved)}</p> })}
                </div>
                {list}
                <section class="panel">
                    <h2>{tr(CaseText::Policies)}</h2>
                    <p class="muted">{tr(CaseText::PoliciesHint)}</p>
                    {policy_rows}
                </section>
            </main>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sla_states_read_as_words_in_both_languages() {
        let running = json!({"state": "at_risk",
            "response": {"state": "met", "due_at": null},
            "resolution": {"state": "at_risk", "minutes_left": 135, "due_at": null}});
        assert_eq!(
            sla_words(&running, Locale::En),
            "2 h 15 min left to resolve"
        );
        assert_eq!(
            sla_words(&running, Locale::Id),
            "Sisa 2 jam 15 mnt untuk menyelesaikan"
        );
        let late = json!({"state": "breached",
            "response": {"state": "breached", "minutes_over": 40},
            "resolution": {"state": "on_track", "minutes_left": 900}});
        assert_eq!(sla_words(&late, Locale::En), "Response overdue by 40 min");
        assert_eq!(sla_words(&late, Locale::Id), "Respons terlambat 40 mnt");
        let done =
            json!({"state": "met", "response": {"state": "met"}, "resolution": {"state": "met"}});
        assert_eq!(sla_words(&done, Locale::Id), "SLA terpenuhi");
        assert_eq!(
            sla_words(&json!({"state": "none"}), Locale::En),
            "No SLA applies"
        );
        assert_eq!(minutes_in_words(1620, Locale::Id), "27 jam");
    }

    #[test]
    fn every_category_and_state_has_a_label() {
        for c in CASE_CATEGORIES {
            assert!(
                *c == "other" || category_text(c) != CaseText::CatOther,
                "{c}"
            );
        }
        for s in ["on_track", "at_risk", "breached", "met"] {
            assert_ne!(sla_state_text(s), CaseText::SlaNone, "{s}");
        }
    }

    #[test]
    fn history_titles_read_without_codes() {
        assert_eq!(
            history_title("Leaking: in_progress → resolved", Some("case"), Locale::Id),
            "Leaking: sedang ditangani → terselesaikan"
        );
        assert_eq!(
            history_title(
                "Leaking: escalated, resolution target missed",
                Some("case"),
                Locale::Id
            ),
            "Leaking: dieskalasi, target penyelesaian terlewat"
        );
        assert_eq!(
            history_title("Asked: a → b", Some("phone"), Locale::En),
            "Asked: a → b",
            "what people wrote stays as written"
        );
    }
}
