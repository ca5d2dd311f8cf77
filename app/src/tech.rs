//! The technician's view (`/tech?technician=ID`): today's visits in planned route order on a
//! map and as a list, with navigation links and the actions of a visit (status, check-in with
//! the device position, outcome and notes), built for a tablet or phone with bad coverage.
//!
//! Offline first: the page renders only a shell on the server (so the copy the service worker
//! `public/sw.js` keeps hydrates the same way with no connection); everything else comes from
//! the browser. The day's plan is kept in `localStorage`; every action is applied to that copy
//! at once and queued with a client id, then sent in order when the server answers (at once,
//! on the `online` event and on a timer). A resend is harmless (the server knows the id); an
//! action the server refuses (the visit changed meanwhile) is listed for the technician.
//!
//! The device's storage is kept per signed-in user (`wilayah.field.<user id>.…`), so another
//! user of a shared tablet neither sees nor sends it. A 401 (the session ended) keeps the queue
//! and asks the technician to sign in again; signing out with work unsent asks first, because
//! sign-out clears the device's storage (`Clear-Site-Data`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wilayah_shared::LonLat;
use wilayah_shared::field::{
    FAR_FROM_ACCOUNT_M, FieldAction, FieldDay, FieldStop, is_closed, navigation_url, next_statuses,
};
use wilayah_shared::spatial::haversine_m;

use crate::format_distance;
use crate::i18n::{self, Msg, remember_locale, tr};

/// How often a waiting queue is retried while the page is open.
pub const RETRY_SECONDS: u64 = 10;

/// The login page, coming back to this technician's day once signed in.
pub fn sign_in_link(technician: Option<i64>, date: &str) -> String {
    let mut back = String::from("/tech");
    if let Some(t) = technician {
        back.push_str(&format!("?technician={t}"));
        if !date.is_empty() {
            back.push_str(&format!("&date={date}"));
        }
    }
    let encoded: String = back
        .chars()
        .map(|c| match c {
            '/' => "%2F".to_owned(),
            '?' => "%3F".to_owned(),
            '=' => "%3D".to_owned(),
            '&' => "%26".to_owned(),
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' => c.to_string(),
            c => c.to_string().bytes().map(|b| format!("%{b:02X}")).collect(),
        })
        .collect();
    format!("/login?next={encoded}")
}

/// Applies `action` to the device's copy of the day, as the server will if nothing changed
/// meanwhile: the visit's version goes up by one, so the next queued action can name it.
pub fn apply_locally(day: &mut FieldDay, action: &FieldAction) {
    let Some(stop) = day.stops.iter_mut().find(|s| s.visit_id == action.visit_id) else {
        return;
    };
    stop.version += 1;
    match action.action.as_str() {
        "status" => {
            if let Some(to) = &action.status {
                stop.status = to.clone();
            }
        }
        "check_in" => {
            stop.status = "on_site".into();
            stop.checkin_at = Some(action.recorded_at.clone());
            stop.checkin_accuracy_m = action.accuracy_m;
            stop.checkin_distance_m = action
                .lon
                .zip(action.lat)
                .and_then(|(lon, lat)| LonLat::new(lon, lat).ok())
                .zip(LonLat::new(stop.lon, stop.lat).ok())
                .map(|(device, account)| haversine_m(device, account));
        }
        "survey" => stop.survey_score = action.score,
        _ => {}
    }
    if action.outcome.is_some() {
        stop.outcome = action.outcome.clone();
    }
    if action.notes.is_some() {
        stop.notes = action.notes.clone();
    }
}

/// Average speed the device assumes when it re-plans without the server (the server's default).
pub const OFFLINE_SPEED_M_PER_S: f64 = 30.0 / 3.6;

/// Re-plans the open stops on the device, for when there is no connection: from `position`
/// (where the technician is) back home, every visit started inside its window and no earlier
/// than `now`, great-circle distances at [`OFFLINE_SPEED_M_PER_S`], with the same optimiser the
/// server uses. Closed stops stay first, then visits on site, then the new order; stops that no
/// longer fit go last, marked. `seconds` reads an RFC 3339 time as seconds since the epoch,
/// `text` writes one (the caller's clock and calendar: JavaScript's `Date` in the browser).
/// `None` when there is nothing to re-plan or no home base.
pub fn replan_locally(
    day: &FieldDay,
    position: (f64, f64),
    now: f64,
    seconds: &dyn Fn(&str) -> Option<f64>,
    text: &dyn Fn(f64) -> String,
) -> Option<FieldDay> {
    use wilayah_shared::routing::{
        Budget, DenseMatrix, Options, Problem, TimeWindow, Vehicle, Visit, solve,
    };
    let home = LonLat::new(day.home_lon?, day.home_lat?).ok()?;
    let (fixed, open): (Vec<&FieldStop>, Vec<&FieldStop>) = day
        .stops
        .iter()
        .partition(|s| is_closed(&s.status) || s.status == "on_site");
    if open.is_empty() {
        return None;
    }
    let mut locations = vec![LonLat::new(position.0, position.1).ok()?, home];
    let mut visits = Vec::with_capacity(open.len());
    for stop in &open {
        locations.push(LonLat::new(stop.lon, stop.lat).ok()?);
        let window = seconds(&stop.window_start)
            .zip(seconds(&stop.window_end))
            .map(|(a, b)| TimeWindow::new(a - now, b - now));
        visits.push(Visit {
            window,
            ..Visit::at(locations.len() - 1, (stop.duration_min.max(0) * 60) as f64)
        });
    }
    let matrix = DenseMatrix::great_circle(&locations, OFFLINE_SPEED_M_PER_S);
    let vehicle = Vehicle {
        end: Some(1),
        ..Vehicle::at(0, TimeWindow::new(0.0, 2.0 * 86_400.0))
    };
    let problem = Problem {
        visits,
        vehicles: vec![vehicle],
    };
    let plan = solve(
        &matrix,
        &problem,
        &Options::default(),
        &mut Budget::iterations(2_000),
    )
    .ok()?;
    let mut stops: Vec<FieldStop> = fixed.into_iter().cloned().collect();
    for planned in plan.routes.iter().flat_map(|r| &r.stops) {
        let mut stop = open[planned.visit].clone();
        stop.planned_arrival = Some(text(now + planned.arrival));
        stop.planned_start = Some(text(now + planned.start));
        stop.left_out = None;
        stops.push(stop);
    }
    for left in &plan.unassigned {
        let mut stop = open[left.visit].clone();
        stop.planned_arrival = None;
        stop.planned_start = None;
        stop.left_out = Some("no_room".into());
        stops.push(stop);
    }
    Some(FieldDay {
        stops,
        ..day.clone()
    })
}

/// Where the technician is, as far as the device knows without asking the GPS: the last stop
/// they were on site at or closed, else home.
pub fn last_known_position(day: &FieldDay) -> Option<(f64, f64)> {
    day.stops
        .iter()
        .rev()
        .find(|s| s.status != "scheduled" && s.status != "en_route")
        .map(|s| (s.lon, s.lat))
        .or(day.home_lon.zip(day.home_lat))
}

/// An action the server did not apply, kept for the technician to see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refused {
    pub client_id: String,
    pub account_name: String,
    pub action: String,
    pub message: String,
}

/// A prospect that fits into the route (`POST /routes/suggest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub account_id: i64,
    pub account_name: String,
    pub lon: f64,
    pub lat: f64,
    pub extra_distance_m: f64,
    pub extra_travel_min: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Suggestions {
    pub suggestions: Vec<Suggestion>,
}

/// A customer the technician serves, at risk of lapsing, near a stop of the day
/// (`GET /analytics/at-risk-along-route`: a technician is told the risk, not the value).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AtRisk {
    pub account_id: i64,
    pub name: String,
    pub churn_risk: f64,
    pub distance_m: f64,
    pub stop: AtRiskStop,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AtRiskStop {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AtRiskAnswer {
    pub accounts: Vec<AtRisk>,
}

/// `HH:MM` in the device's time zone of an RFC 3339 time (the text itself when unreadable).
fn clock(rfc3339: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
        if !date.get_time().is_nan() {
            return format!("{:02}:{:02}", date.get_hours(), date.get_minutes());
        }
    }
    rfc3339.get(11..16).unwrap_or(rfc3339).to_owned()
}

fn status_msg(status: &str) -> Msg {
    match status {
        "scheduled" => Msg::FieldScheduled,
        "en_route" => Msg::FieldEnRoute,
        "on_site" => Msg::FieldOnSite,
        "done" => Msg::FieldDone,
        _ => Msg::FieldMissed,
    }
}

/// The label of the button that moves a visit to `status`.
fn move_msg(status: &str) -> Msg {
    match status {
        "en_route" => Msg::FieldStartDriving,
        "on_site" => Msg::FieldArrived,
        "done" => Msg::FieldMarkDone,
        _ => Msg::FieldMarkMissed,
    }
}

/// Everything the view shares, as signals (all `Copy`).
#[derive(Clone, Copy)]
struct Field {
    /// False until the browser has read the address: the server and the hydrating browser
    /// both render the same neutral shell.
    ready: RwSignal<bool>,
    technician: RwSignal<Option<i64>>,
    /// The day shown, `YYYY-MM-DD` (read by the browser side only).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    date: RwSignal<String>,
    day: RwSignal<Option<FieldDay>>,
    queue: RwSignal<Vec<FieldAction>>,
    refused: RwSignal<Vec<Refused>>,
    /// Whether the last request reached the server.
    online: RwSignal<bool>,
    syncing: RwSignal<bool>,
    /// Actions the server has answered since the page opened (for the status line and tests).
    answered: RwSignal<u32>,
    /// A short notice (location unavailable, …).
    notice: RwSignal<Option<Msg>>,
    suggestions: RwSignal<Vec<Suggestion>>,
    /// Customers at risk along the day, once asked for (`None`: not asked).
    at_risk: RwSignal<Option<Vec<AtRisk>>>,
    technicians: RwSignal<Vec<(i64, String)>>,
    /// The signed-in user whose storage this page uses (the last one known when offline).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    user: RwSignal<Option<i64>>,
    /// The server answered 401: the queue waits until the technician signs in again.
    session_ended: RwSignal<bool>,
    /// Sign-out was asked for with work unsent: the page asks what to do.
    confirm_sign_out: RwSignal<bool>,
}

#[component]
pub fn TechPage() -> impl IntoView {
    let field = Field {
        ready: RwSignal::new(false),
        technician: RwSignal::new(None),
        date: RwSignal::new(String::new()),
        day: RwSignal::new(None),
        queue: RwSignal::new(Vec::new()),
        refused: RwSignal::new(Vec::new()),
        online: RwSignal::new(true),
        syncing: RwSignal::new(false),
        answered: RwSignal::new(0),
        notice: RwSignal::new(None),
        suggestions: RwSignal::new(Vec::new()),
        at_risk: RwSignal::new(None),
        technicians: RwSignal::new(Vec::new()),
        user: RwSignal::new(None),
        session_ended: RwSignal::new(false),
        confirm_sign_out: RwSignal::new(false),
    };
    #[cfg(feature = "hydrate")]
    device::start(field);

    let locale = i18n::use_locale();
    let switch = move |_| {
        let next = locale.get_untracked().other();
        remember_locale(next);
        locale.set(next);
    };
    let pending = move || field.queue.with(Vec::len);
    let sign_out = move |ev: leptos::ev::SubmitEvent| {
        if pending() > 0 {
            ev.prevent_default();
            field.confirm_sign_out.set(true);
        }
    };
    let asking_to_send = move || field.confirm_sign_out.get() && pending() > 0;
    // A memo, so that the day view (and its map) is built once, not on every change of the day.
    let has_day = Memo::new(move |_| field.day.with(Option::is_some));
    let (online_text, offline_text, pending_text) = (
        tr(Msg::FieldOnline),
        tr(Msg::FieldOffline),
        tr(Msg::FieldPending),
    );
    view! {
        <div class="tech" data-testid="tech-page">
            <header class="tech-bar">
                <h1 class="tech-title">{tr(Msg::FieldTitle)}</h1>
                <crate::NavLinks />
                <span class="tech-who" data-testid="tech-name">
                    {move || field.day.with(|d| d.as_ref().map(|d| format!("{} · {}", d.technician_name, d.date)))}
                </span>
                <span
                    class="tech-net"
                    class:offline=move || !field.online.get()
                    data-testid="net-status"
                    data-online=move || field.online.get().to_string()
                    data-pending=move || pending().to_string()
                    data-answered=move || field.answered.get().to_string()
                    data-syncing=move || field.syncing.get().to_string()
                >
                    {move || if field.online.get() { online_text() } else { offline_text() }}
                    " · "
                    {move || format!("{} {}", pending(), pending_text())}
                </span>
                <button class="tech-button" data-testid="sync-now" on:click=move |_| sync_now(field)>
                    {tr(Msg::FieldSyncNow)}
                </button>
                <button class="tech-button" data-testid="lang-switch" on:click=switch>
                    {tr(Msg::SwitchLanguage)}
                </button>
                // Sign-out clears the device's storage: with work unsent, ask first.
                <form class="logout" method="post" action="/auth/logout" on:submit=sign_out>
                    <button class="tech-button" type="submit" data-testid="tech-sign-out">{tr(Msg::SignOut)}</button>
                </form>
            </header>
            <Show when=asking_to_send>
                <section class="tech-notice" data-testid="unsent-warning" role="alert">
                    <p>{tr(Msg::FieldUnsentWarning)} " (" {pending} " " {tr(Msg::FieldPending)} ")"</p>
                    <button class="tech-button" data-testid="send-first" on:click=move |_| {
                        field.confirm_sign_out.set(false);
                        sync_now(field);
                    }>{tr(Msg::FieldSendFirst)}</button>
                    <form class="logout" method="post" action="/auth/logout">
                        <button class="tech-button" type="submit" data-testid="sign-out-anyway">{tr(Msg::FieldSignOutAnyway)}</button>
                    </form>
                </section>
            </Show>
            <Show when=move || field.session_ended.get()>
                <section class="tech-notice" data-testid="session-ended" role="alert">
                    <p>{tr(Msg::FieldSessionEnded)}</p>
                    <a
                        class="tech-button"
                        data-testid="sign-in-again"
                        href=move || sign_in_link(field.technician.get(), &field.date.get())
                    >
                        {tr(Msg::FieldSignInAgain)}
                    </a>
                </section>
            </Show>
            <Show when=move || field.notice.get().is_some()>
                <p class="tech-notice" data-testid="tech-notice">
                    {move || field.notice.get().map(|m| m.text(locale.get()))}
                </p>
            </Show>
            <Refusals field />
            {move || match (field.ready.get(), field.technician.get(), has_day.get()) {
                (true, None, _) => view! { <Picker field /> }.into_any(),
                (false, _, _) | (true, Some(_), false) => view! { <p class="tech-loading" data-testid="tech-loading">{tr(Msg::Loading)}</p> }.into_any(),
                (true, Some(_), true) => view! { <DayView field /> }.into_any(),
            }}
        </div>
    }
}

fn sync_now(field: Field) {
    #[cfg(feature = "hydrate")]
    device::sync(field);
    #[cfg(not(feature = "hydrate"))]
    let _ = field;
}

#[component]
fn Picker(field: Field) -> AnyView {
    view! {
        <section class="tech-picker" data-testid="tech-picker">
            <h2>{tr(Msg::FieldChooseTechnician)}</h2>
            <ul>
                <For each=move || field.technicians.get() key=|t| t.0 let(technician)>
                    <li>
                        <a class="tech-button tech-pick" data-testid="pick-technician" href=format!("/tech?technician={}", technician.0)>
                            {technician.1}
                        </a>
                    </li>
                </For>
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn Refusals(field: Field) -> AnyView {
    view! {
        <Show when=move || field.refused.with(|r| !r.is_empty())>
            <section class="tech-refused" data-testid="tech-refused" role="alert">
                <h2>{tr(Msg::FieldNotApplied)}</h2>
                <ul>
                    <For each=move || field.refused.get() key=|r| r.client_id.clone() let(r)>
                        <li data-testid="refused-item">
                            <strong>{r.account_name.clone()}</strong>
                            " · " {r.action.clone()} " · " <span class="muted">{r.message.clone()}</span>
                        </li>
                    </For>
                </ul>
                <button class="tech-button" data-testid="dismiss-refused" on:click=move |_| {
                    field.refused.set(Vec::new());
                    #[cfg(feature = "hydrate")]
                    device::save_refused(field);
                }>{tr(Msg::Close)}</button>
            </section>
        </Show>
    }
    .into_any()
}

#[component]
fn DayView(field: Field) -> AnyView {
    let container = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    device::route_map(field, container);
    let stops = move || {
        field
            .day
            .with(|d| d.as_ref().map(|d| d.stops.clone()).unwrap_or_default())
            .into_iter()
            .enumerate()
            .collect::<Vec<_>>()
    };
    view! {
        <div class="tech-body">
            <div class="tech-map" id="tech-map" node_ref=container></div>
            <section class="tech-list">
                <ol class="tech-stops" data-testid="stops">
                    <For
                        each=stops
                        key=|(i, s)| (*i, s.visit_id, s.version, s.status.clone(), s.planned_start.clone())
                        let(item)
                    >
                        <StopCard field index=item.0 stop=item.1 />
                    </For>
                </ol>
                <Show when=move || field.day.with(|d| d.as_ref().is_some_and(|d| d.stops.is_empty()))>
                    <p class="muted" data-testid="no-stops">{tr(Msg::FieldNoVisits)}</p>
                </Show>
                <button class="tech-button" data-testid="replan" on:click=move |_| {
                    #[cfg(feature = "hydrate")]
                    device::replan(field);
                }>
                    {tr(Msg::FieldReplan)}
                </button>
                <SuggestionList field />
                <AtRiskList field />
            </section>
        </div>
    }
    .into_any()
}

#[component]
fn StopCard(field: Field, index: usize, stop: FieldStop) -> AnyView {
    let visit_id = stop.visit_id;
    let outcome = RwSignal::new(stop.outcome.clone().unwrap_or_default());
    let notes = RwSignal::new(stop.notes.clone().unwrap_or_default());
    let closed = is_closed(&stop.status);
    let moves: Vec<&'static str> = next_statuses(&stop.status);
    let far = stop.checkin_distance_m.filter(|d| *d > FAR_FROM_ACCOUNT_M);
    let window = format!("{}–{}", clock(&stop.window_start), clock(&stop.window_end));
    let planned = stop.planned_start.as_deref().map(clock);
    let left_out = stop.left_out.clone();
    let report_open = stop.status == "on_site";
    let send = move |action: &'static str, status: Option<&'static str>| {
        let text = |s: RwSignal<String>| Some(s.get_untracked()).filter(|t| !t.trim().is_empty());
        let (outcome, notes) = match (action, status) {
            ("report", _) | ("status", Some("done" | "missed")) => (text(outcome), text(notes)),
            _ => (None, None),
        };
        record(field, visit_id, action, status, outcome, notes);
    };
    view! {
        <li
            class=format!("tech-stop status-{}", stop.status)
            data-testid="stop"
            data-visit-id=visit_id
            data-status=stop.status.clone()
            data-version=stop.version
        >
            <div class="tech-stop-head">
                <span class="tech-seq">{index + 1}</span>
                <div class="tech-stop-what">
                    <strong data-testid="stop-name">{stop.account_name.clone()}</strong>
                    <span class="muted">{stop.address.clone()}</span>
                    <span class="muted">
                        {tr(Msg::FieldWindow)} " " {window}
                        {planned.map(|p| view! { " · " {tr(Msg::FieldPlanned)} " " <span data-testid="planned-start">{p}</span> })}
                    </span>
                    {left_out.map(|r| view! { <span class="tech-left-out">{tr(Msg::FieldNotPlanned)} " (" {i18n::code_label(&r, i18n::unplanned_reason_msg)} ")"</span> })}
                </div>
                <span class=format!("tech-status tag status-{}", stop.status) data-testid="stop-status">
                    {tr(status_msg(&stop.status))}
                </span>
            </div>
            {far.map(|d| view! {
                <p class="tech-far" data-testid="far-warning" role="alert">
                    {tr(Msg::FieldFarWarning)} " " {format_distance(d)}
                </p>
            })}
            <div class="tech-actions">
                <a class="tech-button" data-testid="navigate" target="_blank" rel="noopener" href=navigation_url(stop.lon, stop.lat)>
                    {tr(Msg::FieldNavigate)}
                </a>
                {(!closed).then(|| view! {
                    <button class="tech-button primary" data-testid="check-in" on:click=move |_| check_in(field, visit_id)>
                        {tr(Msg::FieldCheckIn)}
                    </button>
                })}
                {moves
                    .into_iter()
                    .map(|to| view! {
                        <button class=format!("tech-button to-{to}") data-testid=format!("to-{to}") on:click=move |_| send("status", Some(to))>
                            {tr(move_msg(to))}
                        </button>
                    })
                    .collect_view()}
            </div>
            <details class="tech-report" open=report_open>
                <summary>{tr(Msg::FieldOutcomeNotes)}</summary>
                <label>
                    {tr(Msg::FieldOutcome)}
                    <input type="text" data-testid="outcome" prop:value=move || outcome.get() on:input=move |ev| outcome.set(event_target_value(&ev)) />
                </label>
                <label>
                    {tr(Msg::FieldNotes)}
                    <textarea data-testid="notes" prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                </label>
                <button class="tech-button" data-testid="save-report" on:click=move |_| send("report", None)>
                    {tr(Msg::FieldSaveReport)}
                </button>
            </details>
            {(stop.status == "done").then(|| view! { <SurveyOnTablet field visit_id answered=stop.survey_score /> })}
        </li>
    }
    .into_any()
}

/// The satisfaction survey handed to the customer on the tablet once the visit is done: a
/// score from 1 to 5 and a comment, queued like every other action (offline too, sent once).
#[component]
fn SurveyOnTablet(field: Field, visit_id: i64, answered: Option<i64>) -> impl IntoView {
    let score = RwSignal::new(None::<i64>);
    let comment = RwSignal::new(String::new());
    if let Some(n) = answered {
        return view! {
            <p class="tech-survey-done" data-testid="survey-done">
                {tr(Msg::FieldSurveyAnswered)} " " {format!("{n}/5")}
            </p>
        }
        .into_any();
    }
    let save = move |_| {
        let Some(chosen) = score.get_untracked() else {
            return;
        };
        let text = comment.get_untracked();
        #[cfg(feature = "hydrate")]
        device::record(
            field,
            FieldAction {
                client_id: device::new_client_id(),
                visit_id,
                base_version: 0,
                action: "survey".into(),
                status: None,
                lon: None,
                lat: None,
                accuracy_m: None,
                outcome: None,
                notes: None,
                score: Some(chosen),
                comment: Some(text).filter(|t| !t.trim().is_empty()),
                recorded_at: device::now_rfc3339(),
            },
        );
        #[cfg(not(feature = "hydrate"))]
        let _ = (field, visit_id, chosen, text);
    };
    let buttons = crate::intake::SURVEY_SCORES
        .iter()
        .map(|&(n, label)| {
            view! {
                <button type="button" class="tech-button survey-score" role="radio"
                    data-testid=format!("tablet-score-{n}")
                    aria-checked=move || (score.get() == Some(n)).to_string()
                    class:active=move || score.get() == Some(n)
                    on:click=move |_| score.set(Some(n))>
                    {tr(label)}
                </button>
            }
        })
        .collect_view();
    view! {
        <details class="tech-report tech-survey" open=true>
            <summary>{tr(Msg::FieldSurveyAsk)}</summary>
            <div class="survey-scores" role="radiogroup">{buttons}</div>
            <label>
                {tr(Msg::FieldSurveyComment)}
                <input type="text" data-testid="tablet-survey-comment" maxlength="2000"
                    prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev)) />
            </label>
            <button class="tech-button primary" data-testid="tablet-survey-save"
                disabled=move || score.get().is_none() on:click=save>
                {tr(Msg::FieldSurveySave)}
            </button>
        </details>
    }
    .into_any()
}

#[component]
fn SuggestionList(field: Field) -> AnyView {
    view! {
        <section class="tech-suggest">
            <h2>{tr(Msg::FieldAlongTheRoute)}</h2>
            <button class="tech-button" data-testid="find-suggestions" on:click=move |_| {
                #[cfg(feature = "hydrate")]
                device::load_suggestions(field);
            }>
                {tr(Msg::FieldFindProspects)}
            </button>
            <ul data-testid="suggestions">
                <For each=move || field.suggestions.get() key=|s| s.account_id let(s)>
                    <AddableAccount field testid="suggestion" account_id=s.account_id name=s.account_name.clone()>
                        " · +" {format_distance(s.extra_distance_m)} " · +" {format!("{:.0} min", s.extra_travel_min)}
                    </AddableAccount>
                </For>
            </ul>
        </section>
    }
    .into_any()
}

/// Customers the technician serves who are at risk of lapsing, near the day's stops: one tap
/// puts one on the route (a courtesy call on the way keeps a customer). Needs a connection.
#[component]
fn AtRiskList(field: Field) -> AnyView {
    let rows = move || field.at_risk.get().unwrap_or_default();
    view! {
        <section class="tech-suggest">
            <h2>{tr(Msg::FieldAtRiskTitle)}</h2>
            <button class="tech-button" data-testid="find-at-risk" on:click=move |_| {
                #[cfg(feature = "hydrate")]
                device::load_at_risk(field);
            }>
                {tr(Msg::FieldFindAtRisk)}
            </button>
            <Show when=move || field.at_risk.with(|a| a.as_ref().is_some_and(Vec::is_empty))>
                <p class="muted" data-testid="no-at-risk">{tr(Msg::FieldNoAtRisk)}</p>
            </Show>
            <ul data-testid="at-risk">
                <For each=rows key=|a| a.account_id let(a)>
                    <AddableAccount field testid="at-risk-customer" account_id=a.account_id name=a.name.clone()>
                        " · " {tr(Msg::FieldChurnRisk)} " " {format!("{:.0} %", a.churn_risk * 100.0)}
                        " · " {format_distance(a.distance_m)} " " {tr(Msg::FieldFrom)} " " {a.stop.name.clone()}
                    </AddableAccount>
                </For>
            </ul>
        </section>
    }
    .into_any()
}

/// An account the technician may put on their day: its name, what `children` say of it, and
/// "Add to route" (`add-{testid}`).
#[component]
fn AddableAccount(
    field: Field,
    testid: &'static str,
    account_id: i64,
    name: String,
    children: Children,
) -> impl IntoView {
    view! {
        <li class="tech-suggestion" data-testid=testid data-account-id=account_id>
            <span>
                <strong>{name}</strong>
                {children()}
            </span>
            <button class="tech-button primary" data-testid=format!("add-{testid}") on:click=move |_| {
                #[cfg(feature = "hydrate")]
                device::add_stop(field, account_id);
                #[cfg(not(feature = "hydrate"))]
                let _ = (field, account_id);
            }>
                {tr(Msg::FieldAddStop)}
            </button>
        </li>
    }
}

fn record(
    field: Field,
    visit_id: i64,
    action: &'static str,
    status: Option<&'static str>,
    outcome: Option<String>,
    notes: Option<String>,
) {
    #[cfg(feature = "hydrate")]
    device::record(
        field,
        FieldAction {
            client_id: device::new_client_id(),
            visit_id,
            base_version: 0,
            action: action.to_owned(),
            status: status.map(str::to_owned),
            lon: None,
            lat: None,
            accuracy_m: None,
            outcome,
            notes,
            score: None,
            comment: None,
            recorded_at: device::now_rfc3339(),
        },
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = (field, visit_id, action, status, outcome, notes);
}

fn check_in(field: Field, visit_id: i64) {
    #[cfg(feature = "hydrate")]
    device::check_in(field, visit_id);
    #[cfg(not(feature = "hydrate"))]
    let _ = (field, visit_id);
}

/// The browser side: storage, network, location, the map.
#[cfg(feature = "hydrate")]
mod device {
    use super::*;
    use leptos::task::spawn_local;
    use leptos_router::hooks::use_query_map;
    use wasm_bindgen::JsCast;
    use wilayah_shared::field::ActionResult;

    /// The last user known to have signed in on this device (for opening the page offline).
    const LAST_USER_KEY: &str = "wilayah.field.user";

    /// A storage key of the signed-in user: nothing is kept outside a user's own keys.
    fn user_key(field: Field, name: &str) -> Option<String> {
        let user = field.user.get_untracked()?;
        Some(format!("wilayah.field.{user}.{name}"))
    }

    fn day_key(field: Field, technician: i64) -> Option<String> {
        user_key(field, &format!("day.{technician}"))
    }

    fn load_kept<T: serde::de::DeserializeOwned>(field: Field, name: &str) -> Option<T> {
        load(&user_key(field, name)?)
    }

    fn keep<T: Serialize>(field: Field, name: &str, value: &T) {
        if let Some(key) = user_key(field, name) {
            save(&key, value);
        }
    }

    fn save_queue(field: Field) {
        field.queue.with_untracked(|q| keep(field, "queue", q));
    }

    /// Who is signed in: asked of the server; when it cannot be reached, the last user who
    /// signed in on this device. A 401 means the session ended: the last user's work stays
    /// and waits for them to sign in again.
    async fn signed_in_user(field: Field) -> Option<i64> {
        #[derive(Deserialize)]
        struct Caller {
            user_id: i64,
        }
        #[derive(Deserialize)]
        struct Me {
            user: Caller,
        }
        let last = || load::<i64>(LAST_USER_KEY);
        match gloo_net::http::Request::get("/api/v1/auth/me").send().await {
            Ok(r) if r.ok() => {
                field.online.set(true);
                field.session_ended.set(false);
                let me = r.json::<Me>().await.ok()?;
                save(LAST_USER_KEY, &me.user.user_id);
                Some(me.user.user_id)
            }
            Ok(r) => {
                field.online.set(true);
                if r.status() == 401 {
                    field.session_ended.set(true);
                }
                last()
            }
            Err(_) => {
                field.online.set(false);
                last()
            }
        }
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    fn load<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
        serde_json::from_str(&storage()?.get_item(key).ok()??).ok()
    }

    fn save<T: Serialize>(key: &str, value: &T) {
        if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(value)) {
            let _ = s.set_item(key, &text);
        }
    }

    pub fn save_refused(field: Field) {
        field.refused.with_untracked(|r| keep(field, "refused", r));
    }

    fn save_day(field: Field) {
        field.day.with_untracked(|d| {
            if let Some(d) = d
                && let Some(key) = day_key(field, d.technician_id)
            {
                save(&key, d);
            }
        });
    }

    /// `crypto.randomUUID()` (secure contexts: https and localhost), else random digits.
    pub fn new_client_id() -> String {
        let crypto = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &"crypto".into()).ok())
            .filter(|c| !c.is_undefined());
        if let Some(crypto) = crypto
            && let Ok(f) = js_sys::Reflect::get(&crypto, &"randomUUID".into())
            && let Ok(f) = f.dyn_into::<js_sys::Function>()
            && let Some(id) = f.call0(&crypto).ok().and_then(|v| v.as_string())
        {
            return id;
        }
        let hex = |n: usize| {
            (0..n)
                .map(|_| format!("{:x}", (js_sys::Math::random() * 16.0) as u32))
                .collect::<String>()
        };
        format!("{}-{}-4{}-8{}-{}", hex(8), hex(4), hex(3), hex(3), hex(12))
    }

    pub fn now_rfc3339() -> String {
        js_sys::Date::new_0()
            .to_iso_string()
            .as_string()
            .unwrap_or_default()
    }

    /// The device's calendar day, `YYYY-MM-DD`.
    fn local_date() -> String {
        let d = js_sys::Date::new_0();
        format!(
            "{:04}-{:02}-{:02}",
            d.get_full_year(),
            d.get_month() + 1,
            d.get_date()
        )
    }

    /// Registers the service worker that keeps the app shell for offline use.
    fn register_service_worker() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let navigator = window.navigator();
        let Ok(container) = js_sys::Reflect::get(&navigator, &"serviceWorker".into()) else {
            return;
        };
        if container.is_undefined() {
            return;
        }
        if let Ok(register) = js_sys::Reflect::get(&container, &"register".into())
            && let Ok(register) = register.dyn_into::<js_sys::Function>()
        {
            let _ = register.call1(&container, &"/sw.js".into());
        }
    }

    /// Starts the page: reads the technician and date from the address, shows the kept copy of
    /// the day, then talks to the server, again on `online` and every [`RETRY_SECONDS`].
    pub fn start(field: Field) {
        let query = use_query_map();
        Effect::new(move |_| {
            let (technician, date) = query.with(|q| {
                (
                    q.get("technician").and_then(|t| t.parse::<i64>().ok()),
                    q.get("date"),
                )
            });
            field.date.set(date.unwrap_or_else(local_date));
            spawn_local(async move {
                let user = signed_in_user(field).await;
                field.user.set(user);
                field
                    .queue
                    .set(load_kept(field, "queue").unwrap_or_default());
                field
                    .refused
                    .set(load_kept(field, "refused").unwrap_or_default());
                field.technician.set(technician);
                field.ready.set(true);
                match technician {
                    Some(t) => {
                        field.day.set(load_kept(field, &format!("day.{t}")));
                        sync(field);
                    }
                    None => load_technicians(field),
                }
            });
        });
        Effect::new(move |started: Option<bool>| {
            if started.is_none() {
                register_service_worker();
                // Both outlive the page's signals if the user navigates away: the `try_`
                // reads make them do nothing then.
                let alive = move || field.technician.try_get_untracked().flatten().is_some();
                let handle = window_event_listener_untyped("online", move |_| {
                    if alive() {
                        sync(field);
                    }
                });
                std::mem::forget(handle);
                set_interval(
                    move || {
                        if alive()
                            && (!field.queue.with_untracked(Vec::is_empty)
                                || !field.online.get_untracked())
                        {
                            sync(field);
                        }
                    },
                    std::time::Duration::from_secs(RETRY_SECONDS),
                );
            }
            true
        });
    }

    fn load_technicians(field: Field) {
        if let Some(kept) = load_kept::<Vec<(i64, String)>>(field, "technicians") {
            field.technicians.set(kept);
        }
        spawn_local(async move {
            #[derive(Deserialize)]
            struct Staff {
                id: i64,
                name: String,
            }
            #[derive(Deserialize)]
            struct Page {
                items: Vec<Staff>,
            }
            let answer = gloo_net::http::Request::get("/api/v1/staff?role=technician&limit=1000")
                .send()
                .await;
            match answer {
                Ok(r) if r.ok() => {
                    field.online.set(true);
                    if let Ok(page) = r.json::<Page>().await {
                        let list: Vec<(i64, String)> =
                            page.items.into_iter().map(|s| (s.id, s.name)).collect();
                        keep(field, "technicians", &list);
                        field.technicians.set(list);
                    }
                }
                Ok(_) => field.online.set(true),
                Err(_) => field.online.set(false),
            }
        });
    }

    /// Applies `action` to the kept day at once and queues it for the server.
    pub fn record(field: Field, mut action: FieldAction) {
        let Some(base) = field.day.with_untracked(|d| {
            d.as_ref()?
                .stops
                .iter()
                .find(|s| s.visit_id == action.visit_id)
                .map(|s| s.version)
        }) else {
            return;
        };
        action.base_version = base;
        field.day.update(|d| {
            if let Some(d) = d {
                apply_locally(d, &action);
            }
        });
        save_day(field);
        field.queue.update(|q| q.push(action));
        save_queue(field);
        sync(field);
    }

    /// Reads the device position, then records a check-in with it.
    pub fn check_in(field: Field, visit_id: i64) {
        spawn_local(async move {
            match position().await {
                Some((lon, lat, accuracy)) => {
                    field.notice.set(None);
                    record(
                        field,
                        FieldAction {
                            client_id: new_client_id(),
                            visit_id,
                            base_version: 0,
                            action: "check_in".into(),
                            status: None,
                            lon: Some(lon),
                            lat: Some(lat),
                            accuracy_m: Some(accuracy),
                            outcome: None,
                            notes: None,
                            score: None,
                            comment: None,
                            recorded_at: now_rfc3339(),
                        },
                    );
                }
                None => field.notice.set(Some(Msg::FieldNoLocation)),
            }
        });
    }

    /// `navigator.geolocation.getCurrentPosition` as a future: (lon, lat, accuracy in m).
    async fn position() -> Option<(f64, f64, f64)> {
        let navigator = web_sys::window()?.navigator();
        let geolocation = js_sys::Reflect::get(&navigator, &"geolocation".into()).ok()?;
        if geolocation.is_undefined() {
            return None;
        }
        let get = js_sys::Reflect::get(&geolocation, &"getCurrentPosition".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()?;
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"enableHighAccuracy".into(), &true.into());
        let _ = js_sys::Reflect::set(&options, &"timeout".into(), &15_000.into());
        let _ = js_sys::Reflect::set(&options, &"maximumAge".into(), &0.into());
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            let _ = get.call3(&geolocation, &resolve, &reject, &options);
        });
        let found = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
        let coords = js_sys::Reflect::get(&found, &"coords".into()).ok()?;
        let number = |name: &str| js_sys::Reflect::get(&coords, &name.into()).ok()?.as_f64();
        Some((
            number("longitude")?,
            number("latitude")?,
            number("accuracy")?,
        ))
    }

    /// Sends the queue in order, then fetches the day afresh; one run at a time.
    pub fn sync(field: Field) {
        if field.syncing.get_untracked() {
            return;
        }
        let Some(technician) = field.technician.get_untracked() else {
            return;
        };
        field.syncing.set(true);
        spawn_local(async move {
            send_queue(field).await;
            if field.queue.with_untracked(Vec::is_empty) {
                fetch_day(field, technician).await;
            }
            field.syncing.set(false);
        });
    }

    async fn send_queue(field: Field) {
        while let Some(action) = field.queue.with_untracked(|q| q.first().cloned()) {
            let sent = match crate::auth::post("/api/v1/field/actions").json(&action) {
                Ok(request) => request.send().await,
                Err(_) => return,
            };
            let response = match sent {
                Ok(r) => r,
                Err(_) => {
                    field.online.set(false);
                    return;
                }
            };
            field.online.set(true);
            let status = response.status();
            if status == 401 {
                // The session ended: keep everything, ask for a new sign-in, resend after it.
                field.session_ended.set(true);
                return;
            }
            field.session_ended.set(false);
            if status < 500 {
                field.answered.update(|n| *n += 1);
            }
            if status >= 500 {
                // The server is in trouble: keep the action and try again later.
                return;
            }
            if status != 200 {
                let message = match response.json::<ActionResult>().await {
                    Ok(result) => result.message.unwrap_or(result.result),
                    Err(_) => format!("HTTP {status}"),
                };
                let account_name = field
                    .day
                    .with_untracked(|d| {
                        d.as_ref()?
                            .stops
                            .iter()
                            .find(|s| s.visit_id == action.visit_id)
                            .map(|s| s.account_name.clone())
                    })
                    .unwrap_or_else(|| format!("#{}", action.visit_id));
                field.refused.update(|r| {
                    r.push(Refused {
                        client_id: action.client_id.clone(),
                        account_name,
                        action: action
                            .status
                            .clone()
                            .unwrap_or_else(|| action.action.clone()),
                        message,
                    })
                });
                save_refused(field);
            }
            field.queue.update(|q| {
                q.retain(|a| a.client_id != action.client_id);
            });
            save_queue(field);
        }
    }

    async fn fetch_day(field: Field, technician: i64) {
        let url = format!(
            "/api/v1/field/day?technician_id={technician}&date={}",
            field.date.get_untracked()
        );
        match gloo_net::http::Request::get(&url).send().await {
            Ok(r) if r.ok() => {
                field.online.set(true);
                if let Ok(day) = r.json::<FieldDay>().await
                    // An action recorded meanwhile is not in this answer yet: keep the local copy.
                    && field.queue.with_untracked(Vec::is_empty)
                {
                    field.day.set(Some(day));
                    save_day(field);
                }
            }
            Ok(r) => {
                field.online.set(true);
                if r.status() == 401 {
                    field.session_ended.set(true);
                }
            }
            Err(_) => field.online.set(false),
        }
    }

    /// Online: the server re-plans (a fresh day). Offline: the device does, with the same
    /// optimiser, and keeps the result.
    pub fn replan(field: Field) {
        if field.online.get_untracked() {
            sync(field);
            return;
        }
        let seconds = |t: &str| {
            let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(t)).get_time();
            (!ms.is_nan()).then_some(ms / 1000.0)
        };
        let text = |s: f64| {
            js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(s * 1000.0))
                .to_iso_string()
                .as_string()
                .unwrap_or_default()
        };
        let now = js_sys::Date::now() / 1000.0;
        let replanned = field.day.with_untracked(|d| {
            let d = d.as_ref()?;
            replan_locally(d, last_known_position(d)?, now, &seconds, &text)
        });
        if let Some(day) = replanned {
            field.day.set(Some(day));
            save_day(field);
            field.notice.set(Some(Msg::FieldReplannedHere));
        }
    }

    pub fn load_suggestions(field: Field) {
        let Some(technician) = field.technician.get_untracked() else {
            return;
        };
        let body =
            serde_json::json!({ "technician_id": technician, "date": field.date.get_untracked() });
        spawn_local(async move {
            let Ok(request) = crate::auth::post("/api/v1/routes/suggest").json(&body) else {
                return;
            };
            match request.send().await {
                Ok(r) if r.ok() => {
                    field.online.set(true);
                    if let Ok(found) = r.json::<Suggestions>().await {
                        if found.suggestions.is_empty() {
                            field.notice.set(Some(Msg::FieldNoProspects));
                        }
                        field.suggestions.set(found.suggestions);
                    }
                }
                Ok(_) => field.online.set(true),
                Err(_) => {
                    field.online.set(false);
                    field.notice.set(Some(Msg::FieldNeedsConnection));
                }
            }
        });
    }

    /// The customers the technician serves at risk near the day's stops (the server's rule:
    /// churn risk of at least one half, within 5 km of a stop).
    pub fn load_at_risk(field: Field) {
        let Some(technician) = field.technician.get_untracked() else {
            return;
        };
        // The technician's own stops (a dispatcher opening their day sees every visit).
        let uri = format!(
            "/api/v1/analytics/at-risk-along-route?date={}&technician_id={technician}&radius_m=5000&limit=10",
            field.date.get_untracked()
        );
        spawn_local(async move {
            match gloo_net::http::Request::get(&uri).send().await {
                Ok(r) if r.ok() => {
                    field.online.set(true);
                    if let Ok(found) = r.json::<AtRiskAnswer>().await {
                        field.at_risk.set(Some(found.accounts));
                    }
                }
                Ok(_) => field.online.set(true),
                Err(_) => {
                    field.online.set(false);
                    field.notice.set(Some(Msg::FieldNeedsConnection));
                }
            }
        });
    }

    pub fn add_stop(field: Field, account_id: i64) {
        let Some(technician) = field.technician.get_untracked() else {
            return;
        };
        let body = serde_json::json!({
            "technician_id": technician, "account_id": account_id, "date": field.date.get_untracked(),
        });
        spawn_local(async move {
            let Ok(request) = crate::auth::post("/api/v1/routes/add-stop").json(&body) else {
                return;
            };
            match request.send().await {
                Ok(r) if r.ok() => {
                    field.online.set(true);
                    field
                        .suggestions
                        .update(|s| s.retain(|x| x.account_id != account_id));
                    field.at_risk.update(|a| {
                        if let Some(a) = a {
                            a.retain(|x| x.account_id != account_id);
                        }
                    });
                    sync(field);
                }
                Ok(_) => field.online.set(true),
                Err(_) => {
                    field.online.set(false);
                    field.notice.set(Some(Msg::FieldNeedsConnection));
                }
            }
        });
    }

    /// The MapLibre map of the route: created once the container exists, redrawn whenever the
    /// day or the suggestions change.
    pub fn route_map(field: Field, container: NodeRef<leptos::html::Div>) {
        let handle = StoredValue::new_local(None::<crate::map::RouteMap>);
        let locale = i18n::use_locale();
        Effect::new(move |_| {
            let drawn = field
                .day
                .with(|d| d.as_ref().map(crate::map::route_features));
            let suggested: Vec<(f64, f64)> = field
                .suggestions
                .with(|s| s.iter().map(|s| (s.lon, s.lat)).collect());
            let Some(element) = container.get() else {
                return;
            };
            let Some(drawn) = drawn else {
                return;
            };
            if handle.with_value(Option::is_none) {
                let settings = load::<crate::map::MapSettings>("wilayah.map.settings")
                    .unwrap_or_else(crate::map::RouteMap::default_settings);
                let attribution = Msg::BasemapAttribution.text(locale.get_untracked());
                handle.set_value(Some(crate::map::RouteMap::create(
                    &element,
                    &settings,
                    attribution,
                    &drawn,
                )));
                spawn_local(async move {
                    if let Ok(settings) = crate::api::get_map_settings().await {
                        save("wilayah.map.settings", &settings);
                    }
                });
            }
            handle.with_value(|h| {
                if let Some(h) = h {
                    h.show(&drawn, &suggested);
                }
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> FieldDay {
        FieldDay {
            technician_id: 1,
            technician_name: "T".into(),
            date: "2026-11-23".into(),
            utc_offset_minutes: 420,
            home_lon: Some(106.8),
            home_lat: Some(-6.2),
            stops: vec![FieldStop {
                visit_id: 7,
                version: 3,
                account_id: 70,
                account_name: "A".into(),
                address: None,
                lon: 106.8,
                lat: -6.2,
                status: "scheduled".into(),
                window_start: "2026-11-23T02:00:00Z".into(),
                window_end: "2026-11-23T04:00:00Z".into(),
                duration_min: 30,
                planned_arrival: None,
                planned_start: None,
                left_out: None,
                checkin_at: None,
                checkin_accuracy_m: None,
                checkin_distance_m: None,
                outcome: None,
                notes: None,
                survey_score: None,
            }],
            distances: "great_circle".into(),
            fetched_at: "2026-11-23T01:00:00Z".into(),
        }
    }

    fn action(kind: &str) -> FieldAction {
        FieldAction {
            client_id: "0b7f1c3e-9d2a-4c1b-8e6f-123456789abc".into(),
            visit_id: 7,
            base_version: 3,
            action: kind.into(),
            status: None,
            lon: None,
            lat: None,
            accuracy_m: None,
            outcome: None,
            notes: None,
            score: None,
            comment: None,
            recorded_at: "2026-11-23T02:05:00Z".into(),
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_device_replans_open_stops_inside_their_windows() {
        let seconds = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|d| d.timestamp() as f64)
        };
        let text = |s: f64| {
            chrono::DateTime::from_timestamp(s as i64, 0)
                .map(|d| d.to_rfc3339())
                .unwrap_or_default()
        };
        let mut d = day();
        let mut far = d.stops[0].clone();
        (far.visit_id, far.lon) = (8, 106.9);
        let mut near = d.stops[0].clone();
        (near.visit_id, near.lon) = (9, 106.81);
        let mut late = d.stops[0].clone();
        // Its window closed before "now": it cannot be planned.
        (late.visit_id, late.window_start, late.window_end) = (
            10,
            "2026-11-23T01:00:00Z".into(),
            "2026-11-23T01:30:00Z".into(),
        );
        d.stops[0].status = "done".into();
        d.stops.extend([far, near, late]);
        let now = seconds("2026-11-23T02:00:00Z").unwrap();
        let replanned = replan_locally(&d, (106.8, -6.2), now, &seconds, &text).unwrap();
        let order: Vec<i64> = replanned.stops.iter().map(|s| s.visit_id).collect();
        assert_eq!(order, [7, 9, 8, 10]);
        let nine = &replanned.stops[1];
        let start = seconds(nine.planned_start.as_deref().unwrap()).unwrap();
        assert!(start >= now && start <= seconds(&nine.window_end).unwrap());
        assert_eq!(replanned.stops[3].left_out.as_deref(), Some("no_room"));
        assert_eq!(last_known_position(&d), Some((106.8, -6.2)));
    }

    #[test]
    fn local_actions_predict_the_servers_version_and_state() {
        let mut d = day();
        let mut check_in = action("check_in");
        (check_in.lon, check_in.lat, check_in.accuracy_m) = (Some(106.8), Some(-6.21), Some(9.0));
        apply_locally(&mut d, &check_in);
        let s = &d.stops[0];
        assert_eq!((s.version, s.status.as_str()), (4, "on_site"));
        assert!(s.checkin_distance_m.unwrap() > FAR_FROM_ACCOUNT_M);
        let mut done = action("status");
        done.status = Some("done".into());
        done.outcome = Some("Fixed".into());
        apply_locally(&mut d, &done);
        let s = &d.stops[0];
        assert_eq!((s.version, s.status.as_str()), (5, "done"));
        assert_eq!(s.outcome.as_deref(), Some("Fixed"));
    }

    #[test]
    fn signing_in_again_comes_back_to_the_technicians_day() {
        assert_eq!(
            sign_in_link(Some(7), "2026-11-23"),
            "/login?next=%2Ftech%3Ftechnician%3D7%26date%3D2026-11-23"
        );
        assert_eq!(sign_in_link(None, ""), "/login?next=%2Ftech");
    }
}
