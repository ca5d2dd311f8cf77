//! `/pipeline`: the deals of the caller's accounts as cards in one column per stage, with each
//! column's count, value and weighted value (the stage's win probability, which admins set in
//! the form below the board). A card moves by dragging it to another column (pointer events, so
//! a finger on a tablet works like a mouse), by its ← / → buttons or arrow keys when focused,
//! or by its "move to" list. Won asks nothing; lost asks the reason (the server requires it). A
//! move of a card someone else changed meanwhile (409) reloads the board and says so.
//!
//! Data comes after hydration from the REST API (`/api/v1/pipeline/board`, `/opportunities`,
//! `/pipeline/stages`); this module also holds the small REST helpers and texts the other sales
//! pages (`leads`, `today`, `import`) share.

use leptos::prelude::*;
use serde_json::{Value, json};
use wilayah_shared::pipeline::{BoardColumn, StageProbability, StageTotal};
use wilayah_shared::resources::PIPELINE_STAGES;

use crate::errors::ApiFailure;
use crate::i18n::{Locale, Msg, Text, stage_msg, tr, use_locale};
use crate::{Header, format_money, format_money_short, use_signed_in};

// ---- REST helpers shared by the sales pages --------------------------------------------------

/// A refused or failed call: the HTTP status (0: no answer) and the error body (import pages
/// read its `errors` by row).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub status: u16,
    pub body: Value,
}

impl Failure {
    fn network() -> Self {
        Failure {
            status: 0,
            body: Value::Null,
        }
    }

    fn from_body(status: u16, body: Value) -> Self {
        Failure { status, body }
    }

    /// The answer read as an error with its code, to say in the user's language.
    pub fn api(&self) -> ApiFailure {
        ApiFailure::from_answer(self.status, &self.body.to_string())
    }
}

/// The failure of a call that answered `status` (0: no answer) with `body`.
pub fn call_failed(status: u16, body: Value) -> Failure {
    if status == 0 {
        Failure::network()
    } else {
        Failure::from_body(status, body)
    }
}

/// The local time (HH:MM, the browser's zone) of an RFC 3339 timestamp.
pub fn local_time(rfc3339: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
        if date.get_time().is_nan() {
            return String::new();
        }
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        rfc3339.get(11..16).unwrap_or_default().to_owned()
    }
}

/// The message of a failure in `locale`: the field and the rule it broke, by the code the server
/// sends; a stale write (409) says the board was reloaded, which these pages do.
pub fn failure_text(failure: &Failure, locale: Locale) -> String {
    match failure.status {
        409 => Words::Conflict.text(locale).to_owned(),
        _ => failure.api().text(locale),
    }
}

/// Calls the REST API from the browser (JSON in and out, the CSRF token on writes). On the
/// server it never runs: pages call it from effects and event handlers only.
pub async fn call(
    method: &'static str,
    url: String,
    body: Option<Value>,
) -> Result<Value, Failure> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_net::http::Request;
        let builder = match method {
            "POST" => Request::post(&url),
            "PUT" => Request::put(&url),
            "PATCH" => Request::patch(&url),
            "DELETE" => Request::delete(&url),
            _ => Request::get(&url),
        };
        let builder = match (method, crate::auth::csrf_token()) {
            ("GET", _) | (_, None) => builder,
            (_, Some(token)) => builder.header("x-csrf-token", &token),
        };
        let sent = match body {
            Some(body) => match builder.json(&body) {
                Ok(request) => request.send().await,
                Err(_) => return Err(Failure::network()),
            },
            None => builder.send().await,
        };
        let response = sent.map_err(|_| Failure::network())?;
        let status = response.status();
        let json: Value = response.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(json)
        } else {
            Err(call_failed(status, json))
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, url, body);
        Err(Failure::network())
    }
}

/// `2026-12-05` (or the date of a timestamp) as "5 Dec 2026" / "5 Des 2026"; anything else as
/// it is.
pub fn format_date(iso: &str, locale: Locale) -> String {
    match iso
        .get(..10)
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
    {
        Some(date) => crate::format_date_in(locale, date),
        None => iso.to_owned(),
    }
}

/// Texts of the sales pages that several of them use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    Conflict,
    Loading,
    Empty,
    AddTask,
    TaskTitle,
    DueOn,
    PriorityLabel,
    Save,
    Cancel,
    TaskSaved,
}

impl Text for Words {
    fn both(self) -> [&'static str; 2] {
        use Words::*;
        match self {
            Conflict => [
                "Someone else changed this meanwhile; it has been reloaded. Check it and try again.",
                "Orang lain mengubah data ini; data sudah dimuat ulang. Periksa lalu coba lagi.",
            ],
            Loading => ["Loading…", "Memuat…"],
            Empty => ["Nothing here.", "Tidak ada data."],
            AddTask => ["+ Task", "+ Tugas"],
            TaskTitle => ["What to do", "Yang harus dilakukan"],
            DueOn => ["Due", "Jatuh tempo"],
            PriorityLabel => ["Priority", "Prioritas"],
            Save => ["Save", "Simpan"],
            Cancel => ["Cancel", "Batal"],
            TaskSaved => ["Task added.", "Tugas ditambahkan."],
        }
    }
}

/// The label of a task priority.
pub fn priority_msg(priority: &str) -> Msg {
    match priority {
        "low" => Msg::PriorityLow,
        "high" => Msg::PriorityHigh,
        "urgent" => Msg::PriorityUrgent,
        _ => Msg::PriorityNormal,
    }
}

/// Today in the browser's calendar, `YYYY-MM-DD` (a default for new tasks' due date).
pub fn local_today() -> String {
    crate::local_date_in(0)
}

/// A small form that adds a task (follow-up) to an account, optionally about one of its deals;
/// assigned to the signed-in user's staff member. `done` runs after it was saved.
#[component]
pub fn NewTaskForm(
    account_id: i64,
    #[prop(optional)] opportunity_id: Option<i64>,
    /// What to do, filled in for the user to adjust (e.g. a product to offer).
    #[prop(optional, into)]
    suggested_title: Option<String>,
    /// Runs when the task was saved (before `on_close`, which also runs on cancel).
    #[prop(optional, into)]
    on_saved: Option<Callback<()>>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let locale = use_locale();
    let title = RwSignal::new(suggested_title.unwrap_or_default());
    let due = RwSignal::new(local_today());
    let priority = RwSignal::new("normal".to_owned());
    let error = RwSignal::new(None::<Failure>);
    let assignee = use_signed_in().and_then(|c| c.staff_id);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({
            "account_id": account_id, "opportunity_id": opportunity_id,
            "title": title.get_untracked(), "due_on": due.get_untracked(),
            "priority": priority.get_untracked(), "assignee_id": assignee,
        });
        leptos::task::spawn_local(async move {
            match call("POST", "/api/v1/tasks".into(), Some(body)).await {
                Ok(_) => {
                    if let Some(saved) = on_saved {
                        saved.run(());
                    }
                    on_close.run(())
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let priorities = wilayah_shared::resources::PRIORITIES
        .iter()
        .map(|p| view! { <option value=*p selected=*p == "normal">{tr(priority_msg(p))}</option> })
        .collect_view();
    view! {
        <form class="task-form" on:submit=save data-testid="task-form">
            <label>
                <span>{tr(Words::TaskTitle)}</span>
                <input required maxlength="200" data-testid="task-title"
                    prop:value=move || title.get()
                    on:input=move |ev| title.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{tr(Words::DueOn)}</span>
                <input type="date" required data-testid="task-due"
                    prop:value=move || due.get()
                    on:input=move |ev| due.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{tr(Words::PriorityLabel)}</span>
                <select data-testid="task-priority" on:change=move |ev| priority.set(event_target_value(&ev))>
                    {priorities}
                </select>
            </label>
            <button class="action primary" type="submit" data-testid="task-save">{tr(Words::Save)}</button>
            <button class="action subtle" type="button" on:click=move |_| on_close.run(())>{tr(Words::Cancel)}</button>
            {move || error.get().map(|f| view! { <p class="error" role="alert">{failure_text(&f, locale.get())}</p> })}
        </form>
    }
}

// ---- the board -------------------------------------------------------------------------------

/// Texts of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardText {
    Title,
    Rep,
    Territory,
    CloseMonth,
    AllReps,
    AllTerritories,
    Deals,
    Value,
    Weighted,
    MoveTo,
    Earlier,
    Later,
    LostReasonPrompt,
    ConfirmLost,
    Moved,
    Probabilities,
    SaveProbabilities,
    ProbabilitiesSaved,
    Closes,
    ClearFilters,
    DragHint,
}

impl Text for BoardText {
    fn both(self) -> [&'static str; 2] {
        use BoardText::*;
        match self {
            Title => ["Pipeline", "Pipeline"],
            Rep => ["Rep", "Tenaga penjual"],
            Territory => ["Territory", "Wilayah"],
            CloseMonth => ["Expected close", "Perkiraan closing"],
            AllReps => ["All reps", "Semua tenaga penjual"],
            AllTerritories => ["All territories", "Semua wilayah"],
            Deals => ["Deals", "Peluang"],
            Value => ["Value", "Nilai"],
            Weighted => ["Weighted", "Tertimbang"],
            MoveTo => ["Move to…", "Pindahkan ke…"],
            Earlier => [
                "Move to the previous stage",
                "Pindahkan ke tahap sebelumnya",
            ],
            Later => ["Move to the next stage", "Pindahkan ke tahap berikutnya"],
            LostReasonPrompt => ["Why was it lost?", "Mengapa kalah?"],
            ConfirmLost => ["Mark as lost", "Tandai kalah"],
            Moved => ["Moved.", "Dipindahkan."],
            Probabilities => [
                "Win probability per stage (%)",
                "Peluang menang per tahap (%)",
            ],
            SaveProbabilities => ["Save probabilities", "Simpan peluang"],
            ProbabilitiesSaved => ["Probabilities saved.", "Peluang disimpan."],
            Closes => ["closes", "closing"],
            ClearFilters => ["Clear filters", "Hapus filter"],
            DragHint => [
                "Drag a card to another column, or focus it and use ← →.",
                "Seret kartu ke kolom lain, atau fokuskan lalu tekan ← →.",
            ],
        }
    }
}

/// A move waiting for the lost reason.
#[derive(Debug, Clone, PartialEq)]
struct PendingLost {
    id: i64,
    version: i64,
    title: String,
}

/// Where a drag started.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DragStart {
    id: i64,
    x: i32,
    y: i32,
    moving: bool,
}

/// The stage of the board column under a screen point.
fn stage_at(x: i32, y: i32) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        document()
            .element_from_point(x as f32, y as f32)?
            .closest("[data-stage]")
            .ok()??
            .get_attribute("data-stage")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (x, y);
        None
    }
}

/// Gives the card of deal `id` the keyboard focus (after the board re-rendered).
fn focus_card(id: i64) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(card) = document()
            .query_selector(&format!("[data-testid=deal-{id}]"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = card.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

fn neighbour(stage: &str, step: isize) -> Option<&'static str> {
    let at = PIPELINE_STAGES.iter().position(|s| *s == stage)? as isize;
    PIPELINE_STAGES
        .get(usize::try_from(at + step).ok()?)
        .copied()
}

#[component]
pub fn PipelinePage() -> impl IntoView {
    let locale = use_locale();
    let caller = use_signed_in();
    let is_admin = caller.as_ref().is_some_and(|c| c.is_admin());
    let columns = RwSignal::new(None::<Vec<BoardColumn>>);
    let owner = RwSignal::new(String::new());
    let territory = RwSignal::new(String::new());
    let month = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<Failure>);
    let reps = RwSignal::new(Vec::<(i64, String)>::new());
    let territories = RwSignal::new(Vec::<(i64, String)>::new());
    let pending_lost = RwSignal::new(None::<PendingLost>);
    let lost_reason = RwSignal::new(String::new());
    let drag = RwSignal::new(None::<DragStart>);
    let over = RwSignal::new(None::<String>);
    let task_for = RwSignal::new(None::<(i64, i64)>);
    let focus_after = RwSignal::new(None::<i64>);
    let reload = RwSignal::new(0u32);

    // The board, again whenever a filter changes or after a move.
    Effect::new(move |_| {
        reload.track();
        let mut query = Vec::new();
        if let Ok(o) = owner.get().parse::<i64>() {
            query.push(format!("owner_id={o}"));
        }
        if let Ok(t) = territory.get().parse::<i64>() {
            query.push(format!("territory_id={t}"));
        }
        let m = month.get();
        if !m.is_empty() {
            query.push(format!("close_month={m}"));
        }
        let url = format!("/api/v1/pipeline/board?{}", query.join("&"));
        leptos::task::spawn_local(async move {
            match call("GET", url, None).await {
                Ok(board) => {
                    let parsed: Vec<BoardColumn> =
                        serde_json::from_value(board["columns"].clone()).unwrap_or_default();
                    columns.set(Some(parsed));
                    if let Some(id) = focus_after.get_untracked() {
                        focus_after.set(None);
                        request_animation_frame(move || focus_card(id));
                    }
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    });
    // The filter choices, once.
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(page) = call(
                "GET",
                "/api/v1/staff?role=sales_rep&limit=1000&sort=name".into(),
                None,
            )
            .await
            {
                reps.set(named(&page));
            }
            if let Ok(page) = call(
                "GET",
                "/api/v1/territories?limit=1000&sort=name".into(),
                None,
            )
            .await
            {
                territories.set(named(&page));
            }
        });
    });

    let find = move |id: i64| -> Option<wilayah_shared::pipeline::BoardDeal> {
        columns.with_untracked(|c| {
            c.as_ref()?
                .iter()
                .flat_map(|col| col.deals.iter())
                .find(|d| d.id == id)
                .cloned()
        })
    };
    let send_move = move |id: i64, version: i64, stage: String, reason: Option<String>| {
        let mut body = json!({"version": version, "stage": stage});
        if let Some(reason) = reason {
            body["lost_reason"] = reason.into();
        }
        focus_after.set(Some(id));
        leptos::task::spawn_local(async move {
            match call("PATCH", format!("/api/v1/opportunities/{id}"), Some(body)).await {
                Ok(_) => {
                    failure.set(None);
                    notice.set(Some(
                        BoardText::Moved.text(locale.get_untracked()).to_owned(),
                    ));
                }
                Err(f) => {
                    notice.set(None);
                    failure.set(Some(f));
                }
            }
            reload.update(|n| *n += 1);
        });
    };
    // Every way of moving ends here: lost asks its reason first.
    let move_to = move |id: i64, stage: String| {
        let Some(deal) = find(id) else { return };
        if deal.stage == stage {
            return;
        }
        if stage == "lost" {
            lost_reason.set(String::new());
            pending_lost.set(Some(PendingLost {
                id,
                version: deal.version,
                title: deal.title,
            }));
            return;
        }
        send_move(id, deal.version, stage, None);
    };

    // Dragging with any pointer: a press on a card, a move beyond a few pixels, a release over
    // another column.
    let on_pointermove = move |ev: leptos::ev::PointerEvent| {
        let Some(mut start) = drag.get_untracked() else {
            return;
        };
        let (x, y) = (ev.client_x(), ev.client_y());
        if !start.moving && (x - start.x).abs() + (y - start.y).abs() > 8 {
            start.moving = true;
            drag.set(Some(start));
        }
        if start.moving {
            ev.prevent_default();
            over.set(stage_at(x, y));
        }
    };
    let on_pointerup = move |ev: leptos::ev::PointerEvent| {
        let Some(start) = drag.get_untracked() else {
            return;
        };
        drag.set(None);
        over.set(None);
        if start.moving
            && let Some(stage) = stage_at(ev.client_x(), ev.client_y())
        {
            move_to(start.id, stage);
        }
    };
    let on_pointercancel = move |_: leptos::ev::PointerEvent| {
        drag.set(None);
        over.set(None);
    };

    let card = move |deal: wilayah_shared::pipeline::BoardDeal| {
        let id = deal.id;
        let stage = deal.stage.clone();
        let (earlier, later) = (neighbour(&stage, -1), neighbour(&stage, 1));
        let closed = stage == "won" || stage == "lost";
        let on_key = {
            let stage = stage.clone();
            move |ev: leptos::ev::KeyboardEvent| {
                let step = match ev.key().as_str() {
                    "ArrowLeft" => -1,
                    "ArrowRight" => 1,
                    _ => return,
                };
                ev.prevent_default();
                if let Some(to) = neighbour(&stage, step) {
                    move_to(id, to.to_owned());
                }
            }
        };
        let options = PIPELINE_STAGES
            .iter()
            .map(|s| {
                let label = stage_msg(s).unwrap_or(Msg::Nothing);
                view! { <option value=*s selected=*s == stage.as_str()>{tr(label)}</option> }
            })
            .collect_view();
        let close = deal.expected_close.clone();
        let value = format_money(deal.value_minor, &deal.currency);
        view! {
            <li
                class="deal-card"
                class:dragging=move || drag.get().is_some_and(|d| d.id == id && d.moving)
                tabindex="0"
                data-testid=format!("deal-{id}")
                data-deal=id.to_string()
                aria-label=deal.title.clone()
                on:keydown=on_key
                on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                    if closed || ev.button() != 0 {
                        return;
                    }
                    drag.set(Some(DragStart { id, x: ev.client_x(), y: ev.client_y(), moving: false }));
                }
            >
                <strong class="deal-title">{deal.title.clone()}</strong>
                <span class="deal-account">{deal.account_name.clone()}</span>
                <span class="deal-value">{value}</span>
                {close.map(|c| view! {
                    <span class="muted deal-close">
                        {tr(BoardText::Closes)} " " {move || format_date(&c, locale.get())}
                    </span>
                })}
                {deal.lost_reason.clone().filter(|_| stage == "lost").map(|r| view! { <span class="muted">{r}</span> })}
                <div class="deal-actions" on:pointerdown=|ev: leptos::ev::PointerEvent| ev.stop_propagation()>
                    <button class="action subtle" type="button" disabled=closed || earlier.is_none()
                        aria-label=tr(BoardText::Earlier) title=tr(BoardText::Earlier)
                        data-testid=format!("deal-{id}-earlier")
                        on:click=move |_| if let Some(to) = earlier { move_to(id, to.to_owned()) }>"←"</button>
                    <select aria-label=tr(BoardText::MoveTo) disabled=closed data-testid=format!("deal-{id}-move")
                        on:change=move |ev| move_to(id, event_target_value(&ev))>
                        {options}
                    </select>
                    <button class="action subtle" type="button" disabled=closed || later.is_none()
                        aria-label=tr(BoardText::Later) title=tr(BoardText::Later)
                        data-testid=format!("deal-{id}-later")
                        on:click=move |_| if let Some(to) = later { move_to(id, to.to_owned()) }>"→"</button>
                    <button class="action subtle" type="button" data-testid=format!("deal-{id}-task")
                        on:click=move |_| task_for.set(Some((deal.account_id, id)))>{tr(Words::AddTask)}</button>
                </div>
            </li>
        }
    };

    let board = move || {
        let Some(cols) = columns.get() else {
            return view! { <p class="muted">{tr(Words::Loading)}</p> }.into_any();
        };
        cols.into_iter()
            .map(|col| {
                let stage = col.stage.clone();
                let stage_for_class = stage.clone();
                let label = stage_msg(&stage).unwrap_or(Msg::Nothing);
                // One figure per currency: deals in different currencies are not added up.
                let per_currency = |amount: fn(&StageTotal) -> i64| {
                    if col.totals.is_empty() {
                        return format_money_short(0, "IDR");
                    }
                    col.totals
                        .iter()
                        .map(|t| format_money_short(amount(t), &t.currency))
                        .collect::<Vec<_>>()
                        .join(" · ")
                };
                let (value, weighted) = (
                    per_currency(|t| t.value_minor),
                    per_currency(|t| t.weighted_minor),
                );
                let cards = col.deals.into_iter().map(card).collect_view();
                view! {
                    <section
                        class="stage-column"
                        class:drop-target=move || over.get().as_deref() == Some(stage_for_class.as_str())
                        data-stage=stage.clone()
                        data-testid=format!("stage-{stage}")
                    >
                        <header class="stage-head">
                            <h2>{tr(label)} <span class="muted">" " {col.probability_pct} "%"</span></h2>
                            <dl class="stage-totals">
                                <div><dt>{tr(BoardText::Deals)}</dt><dd data-testid=format!("count-{stage}")>{col.count}</dd></div>
                                <div><dt>{tr(BoardText::Value)}</dt><dd data-testid=format!("value-{stage}")>{value}</dd></div>
                                <div><dt>{tr(BoardText::Weighted)}</dt><dd data-testid=format!("weighted-{stage}")>{weighted}</dd></div>
                            </dl>
                        </header>
                        <ul class="deal-list">{cards}</ul>
                    </section>
                }
            })
            .collect_view()
            .into_any()
    };

    let rep_options = move || {
        reps.get()
            .into_iter()
            .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
            .collect_view()
    };
    let territory_options = move || {
        territories
            .get()
            .into_iter()
            .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
            .collect_view()
    };

    let lost_dialog = move || {
        pending_lost.get().map(|p| {
            let confirm = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let reason = lost_reason.get_untracked();
                if reason.trim().is_empty() {
                    return;
                }
                pending_lost.set(None);
                send_move(p.id, p.version, "lost".into(), Some(reason));
            };
            view! {
                <form class="panel lost-dialog" role="dialog" aria-modal="true" on:submit=confirm data-testid="lost-dialog">
                    <h2>{p.title.clone()}</h2>
                    <label>
                        <span>{tr(BoardText::LostReasonPrompt)}</span>
                        <input required maxlength="500" data-testid="lost-reason"
                            prop:value=move || lost_reason.get()
                            on:input=move |ev| lost_reason.set(event_target_value(&ev)) />
                    </label>
                    <button class="action primary" type="submit" data-testid="lost-confirm">{tr(BoardText::ConfirmLost)}</button>
                    <button class="action subtle" type="button" on:click=move |_| pending_lost.set(None)>{tr(Words::Cancel)}</button>
                </form>
            }
        })
    };
    let task_dialog = move || {
        task_for.get().map(|(account_id, deal_id)| {
            view! {
                <div class="panel task-dialog" role="dialog" data-testid="task-dialog">
                    <NewTaskForm account_id=account_id opportunity_id=deal_id on_close=move || {
                        task_for.set(None);
                        notice.set(Some(Words::TaskSaved.text(locale.get_untracked()).to_owned()));
                    } />
                </div>
            }
        })
    };

    view! {
        <div class="sales-page">
            <Header title=Msg::NavPipeline />
            <main class="sales-main pipeline-main">
                <div class="sales-filters" data-testid="board-filters">
                    <label>
                        <span>{tr(BoardText::Rep)}</span>
                        <select data-testid="filter-rep" on:change=move |ev| owner.set(event_target_value(&ev))>
                            <option value="" selected=move || owner.get().is_empty()>{tr(BoardText::AllReps)}</option>
                            {rep_options}
                        </select>
                    </label>
                    <label>
                        <span>{tr(BoardText::Territory)}</span>
                        <select data-testid="filter-territory" on:change=move |ev| territory.set(event_target_value(&ev))>
                            <option value="" selected=move || territory.get().is_empty()>{tr(BoardText::AllTerritories)}</option>
                            {territory_options}
                        </select>
                    </label>
                    <label>
                        <span>{tr(BoardText::CloseMonth)}</span>
                        <input type="month" data-testid="filter-month" prop:value=move || month.get()
                            on:change=move |ev| month.set(event_target_value(&ev)) />
                    </label>
                    <p class="muted hint">{tr(BoardText::DragHint)}</p>
                </div>
                <div role="status" aria-live="polite" class="sales-messages">
                    {move || failure.get().map(|f| view! { <p class="error" data-testid="board-error">{failure_text(&f, locale.get())}</p> })}
                    {move || notice.get().map(|n| view! { <p class="notice" data-testid="board-notice">{n}</p> })}
                </div>
                {lost_dialog}
                {task_dialog}
                <div
                    class="board"
                    data-testid="board"
                    on:pointermove=on_pointermove
                    on:pointerup=on_pointerup
                    on:pointercancel=on_pointercancel
                >
                    {board}
                </div>
                {is_admin.then(|| view! { <ProbabilityForm on_saved=move || reload.update(|n| *n += 1) /> })}
            </main>
        </div>
    }
}

/// `(id, name)` of a list page's items.
pub fn named(page: &Value) -> Vec<(i64, String)> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| Some((i["id"].as_i64()?, i["name"].as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// The admins' form for the stages' win probabilities.
#[component]
fn ProbabilityForm(#[prop(into)] on_saved: Callback<()>) -> impl IntoView {
    let locale = use_locale();
    let stages = RwSignal::new(Vec::<StageProbability>::new());
    let failure = RwSignal::new(None::<Failure>);
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(answer) = call("GET", "/api/v1/pipeline/stages".into(), None).await {
                stages.set(serde_json::from_value(answer["stages"].clone()).unwrap_or_default());
            }
        });
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({"stages": stages.get_untracked()});
        leptos::task::spawn_local(async move {
            match call("PUT", "/api/v1/pipeline/stages".into(), Some(body)).await {
                Ok(_) => {
                    failure.set(None);
                    saved.set(true);
                    on_saved.run(());
                }
                Err(f) => {
                    saved.set(false);
                    failure.set(Some(f));
                }
            }
        });
    };
    let inputs = move || {
        stages
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let label = stage_msg(&s.stage).unwrap_or(Msg::Nothing);
                view! {
                    <label>
                        <span>{tr(label)}</span>
                        <input type="number" min="0" max="100" step="1" required
                            data-testid=format!("probability-{}", s.stage)
                            prop:value=s.probability_pct.to_string()
                            on:change=move |ev| {
                                let value = event_target_value(&ev).parse().unwrap_or(-1);
                                stages.update(|all| all[i].probability_pct = value);
                            } />
                    </label>
                }
            })
            .collect_view()
    };
    view! {
        <form class="panel probability-form" on:submit=save data-testid="probability-form">
            <h2>{tr(BoardText::Probabilities)}</h2>
            <div class="probability-inputs">{inputs}</div>
            <button class="action primary" type="submit" data-testid="probability-save">{tr(BoardText::SaveProbabilities)}</button>
            {move || saved.get().then(|| view! { <p class="notice">{tr(BoardText::ProbabilitiesSaved)}</p> })}
            {move || failure.get().map(|f| view! { <p class="error" role="alert">{failure_text(&f, locale.get())}</p> })}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_the_chosen_language() {
        assert_eq!(format_date("2026-12-05", Locale::En), "5 Dec 2026");
        assert_eq!(format_date("2026-12-05", Locale::Id), "5 Des 2026");
        assert_eq!(
            format_date("2026-05-31T10:00:00Z", Locale::Id),
            "31 Mei 2026"
        );
        assert_eq!(format_date("soon", Locale::En), "soon");
    }

    #[test]
    fn failures_are_told_in_words_not_codes() {
        let refused = Failure::from_body(
            422,
            json!({"error": "is required", "code": "required", "field": "lost_reason"}),
        );
        assert_eq!(
            failure_text(&refused, Locale::Id),
            "Alasan kalah wajib diisi"
        );
        assert!(!failure_text(&refused, Locale::En).contains("lost_reason"));
        let stale = Failure::from_body(409, json!({"error": "changed", "current_version": 3}));
        assert!(failure_text(&stale, Locale::Id).contains("dimuat ulang"));
        assert!(failure_text(&stale, Locale::En).contains("reloaded"));
        assert!(!failure_text(&Failure::network(), Locale::Id).is_empty());
    }

    #[test]
    fn every_stage_has_neighbours_in_board_order() {
        assert_eq!(neighbour("lead", -1), None);
        assert_eq!(neighbour("lead", 1), Some("qualified"));
        assert_eq!(neighbour("negotiation", 1), Some("won"));
        assert_eq!(neighbour("lost", 1), None);
    }
}
