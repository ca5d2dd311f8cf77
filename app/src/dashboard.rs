//! The map dashboard for regional managers: one filter drives the map, the side list and the
//! KPIs; the customer panel shows an account's history and takes new activities and cases;
//! nearby prospects are found from an account or from any spot on the map. The view (filter,
//! colouring, centre and zoom) lives in the page's URL so a link shares it.

use leptos::prelude::*;
use wilayah_shared::account::{AccountPanel, Page};
use wilayah_shared::dashboard::{
    ColourBy, DashboardFilter, DashboardKpis, DashboardView, FilterOptions, KpiRow, Kpis,
    NearbySearch, TerritoryShade,
};
use wilayah_shared::domain::{AccountKind, AccountStatus, DashboardSummary};
use wilayah_shared::resources::PIPELINE_STAGES;

use crate::api::{self, ListedAccount, NearbyOrigin, NearbyProspect};
use crate::i18n::{self, Msg, status_msg, tr, visit_status_msg};
use crate::map::{
    MapSettings, Overlay, STATUS_COLOURS, VISIT_STATUS_COLOURS, kind_colour, rep_colour,
};
use crate::{format_distance, format_money, format_money_short};

/// Which overlays are shown; shared by the toggles and the map.
#[derive(Clone, Copy)]
struct Overlays {
    customers: RwSignal<bool>,
    prospects: RwSignal<bool>,
    territories: RwSignal<bool>,
    visits: RwSignal<bool>,
}

impl Overlays {
    fn new() -> Self {
        Overlays {
            customers: RwSignal::new(true),
            prospects: RwSignal::new(true),
            territories: RwSignal::new(true),
            visits: RwSignal::new(true),
        }
    }

    fn signal(self, overlay: Overlay) -> RwSignal<bool> {
        match overlay {
            Overlay::Customers => self.customers,
            Overlay::Prospects => self.prospects,
            Overlay::Territories => self.territories,
            Overlay::Visits => self.visits,
        }
    }
}

/// The page's shared state: what is shown, what is selected, and what the map should do next.
#[derive(Clone, Copy)]
struct Dashboard {
    filter: RwSignal<DashboardFilter>,
    colour_by: RwSignal<ColourBy>,
    shade: RwSignal<TerritoryShade>,
    /// The shaded territories (`GET /analytics/territories`) while a metric fills them.
    shaded: RwSignal<Option<serde_json::Value>>,
    /// Where the map rests (only the browser moves it).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    camera: RwSignal<Option<wilayah_shared::dashboard::Camera>>,
    overlays: Overlays,
    /// The account whose panel is open.
    selected: RwSignal<Option<i64>>,
    /// A spot the user clicked away from any account: (lon, lat).
    picked: RwSignal<Option<(f64, f64)>>,
    /// Prospects found near the selected account or the picked spot.
    nearby: RwSignal<Vec<NearbyProspect>>,
    /// A position the map should glide to.
    fly_to: RwSignal<Option<(f64, f64)>>,
    /// Bumped after a write, so figures and panels read again.
    revision: RwSignal<u32>,
    /// Reps, territories, technicians... for the menus.
    options: Resource<Result<FilterOptions, ServerFnError>>,
}

/// Which tab of the sidebar is open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SideTab {
    List,
    Kpis,
    Legend,
}

#[component]
pub fn HomePage() -> impl IntoView {
    let search = leptos_router::hooks::use_location().search;
    let start = DashboardView::from_query(&search.get_untracked());
    let options = Resource::new(|| (), |_| api::get_filter_options());
    let state = Dashboard {
        filter: RwSignal::new(start.filter.clone()),
        colour_by: RwSignal::new(start.colour_by),
        shade: RwSignal::new(start.shade),
        shaded: RwSignal::new(None),
        camera: RwSignal::new(start.camera),
        overlays: Overlays::new(),
        selected: RwSignal::new(None),
        picked: RwSignal::new(None),
        nearby: RwSignal::new(Vec::new()),
        fly_to: RwSignal::new(None),
        revision: RwSignal::new(0),
        options,
    };
    // Nearby prospects belong to the account or spot they were found for; one panel at a time.
    Effect::new(move |_| {
        state.selected.track();
        state.picked.track();
        state.nearby.set(Vec::new());
    });
    // The address bar always holds the current view, so copying it shares it.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let view = DashboardView {
            filter: state.filter.get(),
            colour_by: state.colour_by.get(),
            shade: state.shade.get(),
            camera: state.camera.get(),
        };
        replace_query(&view.to_query());
    });
    let settings = Resource::new(|| (), |_| api::get_map_settings());
    let tab = RwSignal::new(SideTab::List);
    let tab_button = move |which: SideTab, label: Msg, key: &'static str| {
        view! {
            <button
                class="tab"
                role="tab"
                data-testid=format!("tab-{key}")
                aria-selected=move || (tab.get() == which).to_string()
                class:active=move || tab.get() == which
                on:click=move |_| tab.set(which)
            >
                {tr(label)}
            </button>
        }
    };

    let sidebar = view! {
            <aside class="sidebar">
                <SummaryPanel />
                <FilterPanel state options />
                <div class="tabs" role="tablist">
                    {tab_button(SideTab::List, Msg::ListTab, "list")}
                    {tab_button(SideTab::Kpis, Msg::KpiTab, "kpis")}
                    {tab_button(SideTab::Legend, Msg::LegendTab, "legend")}
                </div>
                <div class="tab-body" class:hidden=move || tab.get() != SideTab::List>
                    <AccountList state />
                </div>
                <div class="tab-body" class:hidden=move || tab.get() != SideTab::Kpis>
                    <KpiPanel state open=Signal::derive(move || tab.get() == SideTab::Kpis) />
                </div>
                <div class="tab-body" class:hidden=move || tab.get() != SideTab::Legend>
                    <LayersAndLegend state options />
                </div>
            </aside>
    }
    .into_any();
    view! {
        <div class="layout">
            <crate::Header />
            {sidebar}
            <main class="map-area">
                <Suspense fallback=|| view! { <div class="map map-loading">{tr(Msg::Loading)}</div> }>
                    {move || Suspend::new(async move {
                        match settings.await {
                            Ok(settings) => view! { <MapView settings state /> }.into_any(),
                            Err(_) => view! { <p class="error">{tr(Msg::LoadFailed)}</p> }.into_any(),
                        }
                    })}
                </Suspense>
                <Show when=move || state.selected.get().is_some()>
                    <CustomerPanel state />
                </Show>
                <Show when=move || state.picked.get().is_some() && state.selected.get().is_none()>
                    <SpotPanel state />
                </Show>
            </main>
        </div>
    }
}

/// Writes the view into the address bar without a navigation (the page is already showing it).
#[cfg(feature = "hydrate")]
fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    let url = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

#[component]
fn SummaryPanel() -> impl IntoView {
    let summary = Resource::new(|| (), |_| api::get_dashboard_summary());
    view! {
        <section class="panel summary" data-testid="summary">
            <Suspense fallback=|| view! { <p>{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match summary.await {
                        Ok(s) => view! { <SummaryFigures summary=s /> }.into_any(),
                        Err(_) => view! { <p class="error">{tr(Msg::LoadFailed)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SummaryFigures(summary: DashboardSummary) -> impl IntoView {
    let rows = [
        (Msg::Customers, summary.customers, "customers"),
        (Msg::Prospects, summary.prospects, "prospects"),
        (Msg::Reps, summary.reps, "reps"),
        (Msg::Territories, summary.territories, "territories"),
        (Msg::VisitsToday, summary.visits_today, "visits-today"),
    ];
    view! {
        <dl class="figures">
            {rows
                .into_iter()
                .map(|(label, value, key)| {
                    view! {
                        <div class="figure">
                            <dt>{tr(label)}</dt>
                            <dd data-testid=format!("count-{key}")>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
    }
}

/// A choice's label: UI text, or a name from the data (a rep, a territory, a segment).
#[derive(Clone)]
enum Label {
    Ui(Msg),
    Data(String),
}

/// One `<select>` of the filter form; the empty value means "any".
fn filter_select(
    key: &'static str,
    label: Msg,
    choices: Vec<(String, Label)>,
    current: impl Fn() -> String + Copy + Send + Sync + 'static,
    set: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let locale = i18n::use_locale();
    let options = choices
        .into_iter()
        .map(|(value, label)| {
            let text = move || match &label {
                Label::Ui(msg) => msg.text(locale.get()).to_owned(),
                Label::Data(name) => name.clone(),
            };
            let is_current = {
                let value = value.clone();
                move || current() == value
            };
            view! { <option value=value selected=is_current>{text}</option> }
        })
        .collect_view();
    view! {
        <label class="filter">
            <span>{tr(label)}</span>
            <select
                data-testid=format!("filter-{key}")
                prop:value=current
                on:change=move |ev| set(event_target_value(&ev))
            >
                <option value="" selected=move || current().is_empty()>{tr(Msg::Any)}</option>
                {options}
            </select>
        </label>
    }
}

#[component]
fn FilterPanel(
    state: Dashboard,
    options: Resource<Result<FilterOptions, ServerFnError>>,
) -> impl IntoView {
    let filter = state.filter;
    let text_of = |value: Option<String>| value.unwrap_or_default();
    let non_empty = |value: String| (!value.is_empty()).then_some(value);
    view! {
        <section class="panel filters" data-testid="filters">
            <h2>{tr(Msg::Filters)}</h2>
            <Suspense fallback=|| view! { <p>{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let options = options.await.unwrap_or_default();
                    let named = |list: &[wilayah_shared::dashboard::Named]| {
                        list.iter()
                            .map(|n| (n.id.to_string(), Label::Data(n.name.clone())))
                            .collect::<Vec<_>>()
                    };
                    let plain = |list: &[String]| {
                        list.iter().map(|s| (s.clone(), Label::Data(s.clone()))).collect::<Vec<_>>()
                    };
                    let kinds = vec![
                        ("customer".to_owned(), Label::Ui(Msg::Customer)),
                        ("prospect".to_owned(), Label::Ui(Msg::Prospect)),
                    ];
                    let statuses = AccountStatus::ALL
                        .iter()
                        .map(|s| (s.as_str().to_owned(), Label::Ui(status_msg(*s))))
                        .collect();
                    let stages = PIPELINE_STAGES
                        .iter()
                        .filter_map(|s| Some((s.to_string(), Label::Ui(i18n::stage_msg(s)?))))
                        .collect();
                    view! {
                        <div class="filter-grid">
                            {filter_select(
                                "kind", Msg::KindLabel, kinds,
                                move || filter.with(|f| f.kind.map(|k| k.as_str().to_owned()).unwrap_or_default()),
                                move |v| filter.update(|f| f.kind = v.parse().ok()),
                            )}
                            {filter_select(
                                "status", Msg::StatusLabel, statuses,
                                move || filter.with(|f| f.status.map(|s| s.as_str().to_owned()).unwrap_or_default()),
                                move |v| filter.update(|f| f.status = v.parse().ok()),
                            )}
                            {filter_select(
                                "owner", Msg::Owner, named(&options.reps),
                                move || filter.with(|f| f.owner_id.map(|i| i.to_string()).unwrap_or_default()),
                                move |v| filter.update(|f| f.owner_id = v.parse().ok()),
                            )}
                            {filter_select(
                                "territory", Msg::Territories, named(&options.territories),
                                move || filter.with(|f| f.territory_id.map(|i| i.to_string()).unwrap_or_default()),
                                move |v| filter.update(|f| f.territory_id = v.parse().ok()),
                            )}
                            {filter_select(
                                "segment", Msg::SegmentLabel, plain(&options.segments),
                                move || filter.with(|f| text_of(f.segment.clone())),
                                move |v| filter.update(|f| f.segment = non_empty(v)),
                            )}
                            {filter_select(
                                "tag", Msg::TagLabel, plain(&options.tags),
                                move || filter.with(|f| text_of(f.tag.clone())),
                                move |v| filter.update(|f| f.tag = non_empty(v)),
                            )}
                            {filter_select(
                                "stage", Msg::StageLabel, stages,
                                move || filter.with(|f| text_of(f.stage.clone())),
                                move |v| filter.update(|f| f.stage = non_empty(v)),
                            )}
                        </div>
                    }
                })}
            </Suspense>
            <button
                class="action subtle"
                data-testid="filter-clear"
                disabled=move || filter.with(DashboardFilter::is_empty)
                on:click=move |_| filter.set(DashboardFilter::default())
            >
                {tr(Msg::ClearFilters)}
            </button>
        </section>
    }
}

/// The accounts the filter matches, by name, a page at a time; a tap opens the account.
#[component]
fn AccountList(state: Dashboard) -> impl IntoView {
    let offset = RwSignal::new(0u64);
    Effect::new(move |_| {
        state.filter.track();
        offset.set(0);
    });
    let page = Resource::new(
        move || (state.filter.get(), offset.get(), state.revision.get()),
        |(filter, offset, _)| api::get_dashboard_list(filter, offset),
    );
    let open = move |a: &ListedAccount| {
        state.picked.set(None);
        state.selected.set(Some(a.id));
        state.fly_to.set(Some((a.lon, a.lat)));
    };
    view! {
        <section class="panel list" data-testid="account-list">
            <a
                class="link"
                data-testid="show-in-list"
                href=move || wilayah_shared::views::list_url(&state.filter.get())
            >
                {tr(crate::accounts::ListText::ShowInList)}
            </a>
            <Transition fallback=|| view! { <p>{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => list_page(page, offset, open).into_any(),
                        Err(_) => view! { <p class="error">{tr(Msg::LoadFailed)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn list_page(
    page: Page<ListedAccount>,
    offset: RwSignal<u64>,
    open: impl Fn(&ListedAccount) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let Page {
        items,
        total,
        limit,
        offset: at,
    } = page;
    let shown_to = at + items.len() as u64;
    let has_next = (shown_to as i64) < total;
    let items = items
        .into_iter()
        .map(|a| {
            let colour = kind_colour(a.kind);
            let status = i18n::code_label(&a.status, i18n::account_status_msg);
            let segment = a.segment.clone().map(|s| format!(" · {s}"));
            let detail = move || format!("{}{}", status(), segment.clone().unwrap_or_default());
            let id = a.id;
            view! {
                <li>
                    <button class="list-item" data-testid="list-item" data-id=id on:click=move |_| open(&a)>
                        <span class="dot" style=format!("background:{colour}")></span>
                        <span class="list-name">{a.name.clone()}</span>
                        <span class="muted">{detail}</span>
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="list-total">
            <strong data-testid="list-total">{total}</strong> " " {tr(Msg::AccountsMatch)}
            {(total > 0).then(|| format!(" · {}–{}", at + 1, shown_to))}
        </p>
        <ul class="list-items">{items}</ul>
        <div class="pager">
            <button
                class="action subtle"
                data-testid="list-prev"
                disabled=at == 0
                on:click=move |_| offset.set(at.saturating_sub(u64::from(limit)))
            >
                {tr(Msg::Previous)}
            </button>
            <button
                class="action subtle"
                data-testid="list-next"
                disabled=!has_next
                on:click=move |_| offset.set(at + u64::from(limit))
            >
                {tr(Msg::Next)}
            </button>
        </div>
    }
}

/// KPIs of what the filter shows: the total, then per rep or per territory. They are read only
/// while their tab is open: the roll-up visits every matching account, and the page should not
/// wait for it (at 100,000 accounts it took 0.7 s of every page load).
#[component]
fn KpiPanel(state: Dashboard, open: Signal<bool>) -> impl IntoView {
    let locale = i18n::use_locale();
    let by_territory = RwSignal::new(false);
    let kpis = Resource::new(
        move || {
            open.get()
                .then(|| (state.filter.get(), state.revision.get(), locale.get()))
        },
        |wanted| async move {
            match wanted {
                Some((filter, _, locale)) => {
                    api::get_dashboard_kpis(filter, Msg::Unassigned.text(locale).to_owned())
                        .await
                        .map(Some)
                }
                None => Ok(None),
            }
        },
    );
    view! {
        <section class="panel kpis" data-testid="kpis">
            <div class="segmented">
                <button
                    data-testid="kpi-by-rep"
                    class:active=move || !by_territory.get()
                    on:click=move |_| by_territory.set(false)
                >
                    {tr(Msg::ByRep)}
                </button>
                <button
                    data-testid="kpi-by-territory"
                    class:active=move || by_territory.get()
                    on:click=move |_| by_territory.set(true)
                >
                    {tr(Msg::ByTerritory)}
                </button>
            </div>
            <Transition fallback=|| view! { <p>{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match kpis.await {
                        Ok(Some(kpis)) => view! { <KpiCards kpis by_territory /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(_) => view! { <p class="error">{tr(Msg::LoadFailed)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn KpiCards(kpis: DashboardKpis, by_territory: RwSignal<bool>) -> impl IntoView {
    let DashboardKpis {
        total,
        by_rep,
        by_territory: territories,
    } = kpis;
    let total_row = KpiRow {
        id: None,
        name: String::new(),
        kpis: total,
    };
    view! {
        <div data-testid="kpi-total">{kpi_card(total_row, None, "kpi-total-card")}</div>
        <div data-testid="kpi-rows">
            {move || {
                let rows = if by_territory.get() { territories.clone() } else { by_rep.clone() };
                rows.into_iter()
                    .map(|row| {
                        let colour = (!by_territory.get_untracked()).then(|| rep_colour(row.id));
                        kpi_card(row, colour, "kpi-row")
                    })
                    .collect_view()
            }}
        </div>
    }
}

fn sum_money(amounts: &std::collections::BTreeMap<String, i64>) -> String {
    if amounts.is_empty() {
        return format_money_short(0, "IDR");
    }
    amounts
        .iter()
        .map(|(currency, minor)| format_money_short(*minor, currency))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn kpi_card(row: KpiRow, colour: Option<&'static str>, test_id: &'static str) -> impl IntoView {
    let Kpis {
        customers,
        prospects,
        revenue,
        pipeline,
        open_cases,
        visits_planned,
        visits_done,
    } = row.kpis;
    let title = if row.name.is_empty() {
        tr(Msg::AllShown)().to_owned()
    } else {
        row.name
    };
    let figures = [
        (Msg::Customers, customers.to_string(), "customers"),
        (Msg::Prospects, prospects.to_string(), "prospects"),
        (Msg::Revenue, sum_money(&revenue), "revenue"),
        (Msg::Pipeline, sum_money(&pipeline), "pipeline"),
        (Msg::OpenCases, open_cases.to_string(), "cases"),
        (
            Msg::VisitsDone,
            format!("{visits_done} / {visits_planned}"),
            "visits",
        ),
    ];
    view! {
        <article class="kpi-card" data-testid=test_id data-id=row.id>
            <h3>
                {colour.map(|c| view! { <span class="dot" style=format!("background:{c}")></span> })}
                <span data-testid="kpi-name">{title}</span>
            </h3>
            <dl>
                {figures
                    .into_iter()
                    .map(|(label, value, key)| {
                        view! {
                            <div>
                                <dt>{tr(label)}</dt>
                                <dd data-kpi=key>{value}</dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
        </article>
    }
}

/// Layer switches, the colouring choice and what each colour means.
#[component]
fn LayersAndLegend(
    state: Dashboard,
    options: Resource<Result<FilterOptions, ServerFnError>>,
) -> impl IntoView {
    let overlays = state.overlays;
    let toggle = move |overlay: Overlay, label: Msg, key: &'static str, swatch: String| {
        let signal = overlays.signal(overlay);
        view! {
            <label class="layer-toggle">
                <input
                    type="checkbox"
                    data-testid=format!("toggle-{key}")
                    checked=signal.get_untracked()
                    prop:checked=move || signal.get()
                    on:change=move |ev| signal.set(event_target_checked(&ev))
                />
                <span class=format!("swatch swatch-{key}") style=swatch></span>
                <span>{tr(label)}</span>
            </label>
        }
    };
    let kind_swatch = |kind| format!("background:{}", kind_colour(kind));
    let colour_by = state.colour_by;
    let choices = [
        (ColourBy::Kind, Msg::KindLabel),
        (ColourBy::Status, Msg::StatusLabel),
        (ColourBy::Owner, Msg::Owner),
    ];
    let legend = move || {
        let entry = |colour: String, label: AnyView| {
            view! { <li><span class="swatch" style=format!("background:{colour}")></span> {label}</li> }
        };
        match colour_by.get() {
            ColourBy::Kind => AccountKind::ALL
                .iter()
                .map(|&k| {
                    let msg = if k == AccountKind::Customer { Msg::Customer } else { Msg::Prospect };
                    entry(kind_colour(k).into(), tr(msg).into_any())
                })
                .collect_view()
                .into_any(),
            ColourBy::Status => STATUS_COLOURS
                .iter()
                .map(|&(status, colour)| entry(colour.into(), tr(status_msg(status)).into_any()))
                .collect_view()
                .into_any(),
            ColourBy::Owner => view! {
                <Suspense>
                    {move || Suspend::new(async move {
                        let reps = options.await.map(|o| o.reps).unwrap_or_default();
                        reps.into_iter()
                            .map(|r| entry(rep_colour(Some(r.id)).into(), r.name.into_any()))
                            .chain(std::iter::once(entry(rep_colour(None).into(), tr(Msg::Unassigned).into_any())))
                            .collect_view()
                    })}
                </Suspense>
            }
            .into_any(),
        }
    };
    view! {
        <section class="panel layers">
            <h2>{tr(Msg::Layers)}</h2>
            {toggle(Overlay::Customers, Msg::Customers, "customer", kind_swatch(AccountKind::Customer))}
            {toggle(Overlay::Prospects, Msg::Prospects, "prospect", kind_swatch(AccountKind::Prospect))}
            {toggle(Overlay::Territories, Msg::Territories, "territories", "background:rgba(43,138,62,0.25);border-radius:3px".into())}
            {toggle(Overlay::Visits, Msg::VisitsToday, "visits", "background:transparent;border:3px solid #495057".into())}
            <h2>{tr(Msg::ColourBy)}</h2>
            <div class="segmented" role="radiogroup">
                {choices
                    .into_iter()
                    .map(|(choice, label)| {
                        view! {
                            <button
                                role="radio"
                                data-testid=format!("colour-{}", choice.as_str())
                                aria-checked=move || (colour_by.get() == choice).to_string()
                                class:active=move || colour_by.get() == choice
                                on:click=move |_| colour_by.set(choice)
                            >
                                {tr(label)}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <h2>{tr(Msg::Legend)}</h2>
            <ul class="legend" data-testid="legend">{legend}</ul>
            <TerritoryShading state />
            <h2>{tr(Msg::VisitStatuses)}</h2>
            <ul class="legend">
                {VISIT_STATUS_COLOURS
                    .iter()
                    .filter_map(|&(status, colour)| {
                        let msg = visit_status_msg(status)?;
                        Some(view! {
                            <li>
                                <span class="swatch ring" style=format!("border-color:{colour}")></span>
                                {tr(msg)}
                            </li>
                        })
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// "Fill territories by": their rep's colour, or for those who may read analytics a figure of
/// their customers in each territory (`GET /analytics/territories`, quantile classes) with its
/// legend. The filter's rep, territory and segment narrow the customers counted.
#[component]
fn TerritoryShading(state: Dashboard) -> impl IntoView {
    let may = crate::use_signed_in()
        .is_some_and(|c| c.may("analytics", wilayah_shared::access::Action::Read));
    let locale = i18n::use_locale();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let shade = state.shade.get();
        let filter = state.filter.get();
        let Some(metric) = shade.metric().filter(|_| may) else {
            state.shaded.set(None);
            return;
        };
        let mut url = format!("/api/v1/analytics/territories?metric={metric}");
        for (key, value) in [
            ("owner_id", filter.owner_id.map(|v| v.to_string())),
            ("territory_id", filter.territory_id.map(|v| v.to_string())),
            ("account_segment", filter.segment.clone()),
        ] {
            if let Some(value) = value {
                url.push_str(&format!("&{key}={}", crate::rest::encode(&value)));
            }
        }
        leptos::task::spawn_local(async move {
            let answer = match gloo_net::http::Request::get(&url).send().await {
                Ok(r) if r.ok() => r.json::<serde_json::Value>().await.ok(),
                _ => None,
            };
            // A later choice wins over an answer that comes late.
            if state.shade.get_untracked() == shade {
                let _ = state.shaded.try_set(answer);
            }
        });
    });
    let choices = move || {
        TerritoryShade::ALL
            .into_iter()
            .map(|choice| {
                let label = match choice.metric() {
                    None => Msg::ShadeByRep.text(locale.get()).to_owned(),
                    Some(metric) => crate::analytics::metric_label(metric)
                        .map(|m| crate::i18n::Text::text(m, locale.get()).to_owned())
                        .unwrap_or_default(),
                };
                view! {
                    <option value=choice.as_str() selected=move || state.shade.get() == choice>{label}</option>
                }
            })
            .collect_view()
    };
    let legend = move || {
        let data = state.shaded.get()?;
        let metric = state.shade.get().metric()?;
        Some(view! {
            <p class="muted small">{tr(Msg::ShadeOverCustomers)}</p>
            <ul class="legend" data-testid="shade-legend">
                {crate::analytics::class_legend(metric, &data["legend"], locale.get())}
            </ul>
        })
    };
    // Type-erased: the layers panel is deep enough already for the compiler's layout queries.
    may.then(|| {
        view! {
            <h2>{tr(Msg::ShadeTerritoriesBy)}</h2>
            <select data-testid="territory-shade" on:change=move |ev| {
                state.shade.set(TerritoryShade::parse(&event_target_value(&ev)).unwrap_or_default());
            }>
                {choices}
            </select>
            {legend}
        }
        .into_any()
    })
}

#[component]
fn MapView(settings: MapSettings, state: Dashboard) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    let locale = i18n::use_locale();

    #[cfg(feature = "hydrate")]
    {
        use crate::map::{MapCallbacks, MapHandle, MapStart};
        let handle = StoredValue::new_local(None::<MapHandle>);
        let with_map = move |act: &dyn Fn(&MapHandle)| {
            handle.with_value(|h| {
                if let Some(h) = h {
                    act(h);
                }
            })
        };
        Effect::new(move |_| {
            let Some(element) = container.get() else {
                return;
            };
            if handle.with_value(Option::is_some) {
                return;
            }
            let attribution = Msg::BasemapAttribution.text(locale.get_untracked());
            let overlays = state.overlays;
            let start = MapStart {
                camera: state.camera.get_untracked(),
                filter: state.filter.get_untracked(),
                colour_by: state.colour_by.get_untracked(),
            };
            let callbacks = MapCallbacks {
                visible: Box::new(move |overlay| overlays.signal(overlay).get_untracked()),
                select: Box::new(move |id| {
                    state.picked.set(None);
                    state.selected.set(Some(id));
                }),
                pick: Box::new(move |lon, lat| {
                    state.selected.set(None);
                    state.picked.set(Some((lon, lat)));
                }),
                moved: Box::new(move |camera| state.camera.set(Some(camera))),
            };
            let created = MapHandle::create(&element, &settings, attribution, start, callbacks);
            handle.set_value(Some(created));
        });
        Effect::new(move |previous: Option<DashboardFilter>| {
            let filter = state.filter.get();
            if previous.as_ref().is_some_and(|p| *p != filter) {
                with_map(&|h| h.set_filter(&filter));
            }
            filter
        });
        Effect::new(move |_| {
            let colour_by = state.colour_by.get();
            with_map(&|h| h.set_colour_by(colour_by));
        });
        Effect::new(move |_| {
            let shaded = state.shaded.get();
            with_map(&|h| h.set_territory_shade(shaded.as_ref()));
        });
        Effect::new(move |_| {
            if let Some((lon, lat)) = state.fly_to.get() {
                with_map(&|h| h.fly_to(lon, lat));
            }
        });
        Effect::new(move |_| {
            let positions: Vec<(f64, f64)> = state
                .nearby
                .with(|n| n.iter().map(|p| (p.lon, p.lat)).collect());
            with_map(&|h| h.set_nearby(&positions));
        });
        for overlay in Overlay::ALL {
            Effect::new(move |_| {
                let shown = state.overlays.signal(overlay).get();
                with_map(&|h| h.set_visible(overlay, shown));
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (settings, state);

    view! {
        <div
            class="map"
            id="map"
            node_ref=container
            role="region"
            aria-label=move || Msg::MapLabel.text(locale.get())
        ></div>
    }
}

/// The selected account: who it is, who owns it, what is open with it, its history, and what can
/// be done next (log a contact, open a case, look for prospects nearby).
#[component]
fn CustomerPanel(state: Dashboard) -> impl IntoView {
    let panel = Resource::new(
        move || (state.selected.get(), state.revision.get()),
        |(id, _)| async move {
            match id {
                Some(id) => api::get_account_panel(id).await,
                None => Ok(None),
            }
        },
    );
    view! {
        <aside class="customer-panel" data-testid="customer-panel">
            <button class="panel-close" data-testid="panel-close" on:click=move |_| state.selected.set(None)>
                {tr(Msg::Close)}
            </button>
            <Transition fallback=|| view! { <p>{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match panel.await {
                        Ok(Some(p)) => view! { <PanelBody panel=p state /> }.into_any(),
                        Ok(None) => view! { <p>{tr(Msg::AccountMissing)}</p> }.into_any(),
                        Err(_) => view! { <p class="error">{tr(Msg::LoadFailed)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </aside>
    }
}

fn or_nothing(items: Vec<AnyView>) -> AnyView {
    if items.is_empty() {
        view! { <li class="muted">{tr(Msg::Nothing)}</li> }.into_any()
    } else {
        items.into_any()
    }
}

#[component]
fn PanelBody(panel: AccountPanel, state: Dashboard) -> impl IntoView {
    let a = panel.account;
    let account_id = a.id;
    let kind = if a.kind == AccountKind::Customer {
        Msg::Customer
    } else {
        Msg::Prospect
    };
    let contacts = panel
        .contacts
        .into_iter()
        .map(|c| {
            let detail = [c.title, c.phone, c.email]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
            view! { <li><strong>{c.name}</strong> " " <span class="muted">{detail}</span></li> }
                .into_any()
        })
        .collect();
    let deals = panel
        .open_deals
        .into_iter()
        .map(|d| view! { <li>{d.title} " · " {i18n::code_label(&d.stage, i18n::stage_msg)} " · " {format_money(d.value_minor, &d.currency)}</li> }.into_any())
        .collect();
    let cases = panel
        .open_cases
        .into_iter()
        .map(|c| view! { <li data-testid="open-case">{c.subject} " · " {i18n::code_label(&c.status, i18n::case_status_msg)} " · " {i18n::code_label(&c.priority, i18n::priority_msg)}</li> }.into_any())
        .collect();
    let last_visit = panel.last_visit.map(|v| {
        let status = i18n::code_label(&v.status, visit_status_msg);
        let day = v.window_start.date_naive();
        move || format!("{} · {}", crate::format_date(day), status())
    });
    let history = panel
        .history
        .into_iter()
        .map(|e| {
            let locale = i18n::use_locale();
            let (label, title, channel) = (e.label, e.title, e.channel);
            view! {
                <li class="timeline-entry" data-testid="history-entry">
                    <span class="when">{let day = e.at.date_naive(); move || crate::format_date(day)}</span>
                    <span class=format!("tag tag-{}", e.kind)>{move || crate::account_page::code_text(&label, locale.get())}</span>
                    <span>{move || crate::cases::history_title(&title, channel.as_deref(), locale.get())}</span>
                </li>
            }
            .into_any()
        })
        .collect();
    view! {
        <header class="panel-head">
            <h2 data-testid="panel-name">{a.name}</h2>
            <a class="link" data-testid="open-account-page" href=format!("/accounts/{account_id}")>
                {tr(crate::accounts::ListText::OpenAccountPage)}
            </a>
            <p class="muted">{tr(kind)} " · " {tr(status_msg(a.status))} {a.segment.map(|s| format!(" · {s}"))}</p>
            <p>{a.address}</p>
        </header>
        <dl class="facts">
            <dt>{tr(Msg::Owner)}</dt>
            <dd>{panel.owner_name.unwrap_or_else(|| "—".into())}</dd>
            <dt>{tr(Msg::Territories)}</dt>
            <dd>{panel.territory_name.unwrap_or_else(|| "—".into())}</dd>
            <dt>{tr(Msg::Revenue)}</dt>
            <dd>{format_money(a.revenue_minor, &a.currency)}</dd>
            <dt>{tr(Msg::Margin)}</dt>
            <dd data-testid="panel-margin">
                {a.margin_minor.map(|m| format_money(m, &a.currency)).unwrap_or_else(|| "—".into())}
            </dd>
            <dt>{tr(Msg::CostToServe)}</dt>
            <dd>{format_money(a.cost_to_serve_minor, &a.currency)}</dd>
            <dt>{tr(Msg::LastVisit)}</dt>
            <dd>{match last_visit {
                Some(visit) => visit.into_any(),
                None => "—".into_any(),
            }}</dd>
        </dl>
        <PanelActions account_id state />
        <h3>{tr(Msg::Contacts)}</h3>
        <ul>{or_nothing(contacts)}</ul>
        <h3>{tr(Msg::OpenDeals)}</h3>
        <ul>{or_nothing(deals)}</ul>
        <section data-testid="account-sales">
            <crate::sales::AccountSales account_id />
        </section>
        <h3>{tr(Msg::OpenCases)}</h3>
        <ul data-testid="open-cases">{or_nothing(cases)}</ul>
        <h3>{tr(Msg::NearbyProspects)}</h3>
        <NearbySection origin=NearbyOrigin::Account(account_id) state auto=false />
        <h3>{tr(Msg::History)}</h3>
        <ul class="timeline" data-testid="history">{or_nothing(history)}</ul>
    }
}

/// Which form of the panel is open.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PanelForm {
    Activity,
    Case,
}

/// "Log an activity" and "Open a case": small forms that write through server functions and
/// then refresh the panel, the list and the KPIs.
#[component]
fn PanelActions(account_id: i64, state: Dashboard) -> impl IntoView {
    let form = RwSignal::new(None::<PanelForm>);
    let log = ServerAction::<api::LogActivity>::new();
    let open = ServerAction::<api::OpenCase>::new();
    let error = RwSignal::new(None::<String>);
    let saving = (log.pending(), open.pending());
    for outcome in [log.value(), open.value()] {
        Effect::new(move |_| match outcome.try_get().flatten() {
            Some(Ok(_)) => {
                error.set(None);
                form.set(None);
                state.revision.update(|r| *r += 1);
            }
            Some(Err(e)) => error.set(Some(e.to_string())),
            None => {}
        });
    }
    let activity_kind = RwSignal::new("call".to_owned());
    let subject = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let priority = RwSignal::new("normal".to_owned());
    let toggle = move |which: PanelForm| {
        error.set(None);
        subject.set(String::new());
        notes.set(String::new());
        form.update(|f| *f = if *f == Some(which) { None } else { Some(which) });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = Some(notes.get_untracked()).filter(|n| !n.trim().is_empty());
        match form.get_untracked() {
            Some(PanelForm::Activity) => {
                log.dispatch(api::LogActivity {
                    account_id,
                    kind: activity_kind.get_untracked(),
                    subject: subject.get_untracked(),
                    body,
                });
            }
            Some(PanelForm::Case) => {
                open.dispatch(api::OpenCase {
                    account_id,
                    subject: subject.get_untracked(),
                    priority: priority.get_untracked(),
                    description: body,
                });
            }
            None => {}
        }
    };
    let choice =
        |value: &'static str, label: Msg| view! { <option value=value>{tr(label)}</option> };
    view! {
        <div class="panel-actions">
            <button class="action" data-testid="log-activity" on:click=move |_| toggle(PanelForm::Activity)>
                {tr(Msg::LogActivity)}
            </button>
            <button class="action" data-testid="open-case" on:click=move |_| toggle(PanelForm::Case)>
                {tr(Msg::OpenCase)}
            </button>
        </div>
        <Show when=move || form.get().is_some()>
            <form class="panel-form" data-testid="panel-form" on:submit=submit>
                <Show when=move || form.get() == Some(PanelForm::Activity)>
                    <label>
                        <span>{tr(Msg::ContactKind)}</span>
                        <select data-testid="activity-kind" on:change=move |ev| activity_kind.set(event_target_value(&ev))>
                            {choice("call", Msg::KindCall)}
                            {choice("email", Msg::KindEmail)}
                            {choice("meeting", Msg::KindMeeting)}
                            {choice("note", Msg::KindNote)}
                        </select>
                    </label>
                </Show>
                <Show when=move || form.get() == Some(PanelForm::Case)>
                    <label>
                        <span>{tr(Msg::Priority)}</span>
                        <select data-testid="case-priority" prop:value=move || priority.get() on:change=move |ev| priority.set(event_target_value(&ev))>
                            {choice("low", Msg::PriorityLow)}
                            <option value="normal" selected=true>{tr(Msg::PriorityNormal)}</option>
                            {choice("high", Msg::PriorityHigh)}
                            {choice("urgent", Msg::PriorityUrgent)}
                        </select>
                    </label>
                </Show>
                <label>
                    <span>{tr(Msg::Subject)}</span>
                    <input
                        type="text"
                        data-testid="form-subject"
                        maxlength="200"
                        prop:value=move || subject.get()
                        on:input=move |ev| subject.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    <span>{tr(Msg::Notes)}</span>
                    <textarea
                        data-testid="form-notes"
                        rows="3"
                        prop:value=move || notes.get()
                        on:input=move |ev| notes.set(event_target_value(&ev))
                    ></textarea>
                </label>
                {move || error.get().map(|e| view! { <p class="error" data-testid="form-error">{e}</p> })}
                <div class="panel-actions">
                    <button type="submit" class="action" data-testid="form-save"
                        disabled=move || saving.0.try_get().unwrap_or(false) || saving.1.try_get().unwrap_or(false)>
                        {tr(Msg::Save)}
                    </button>
                    <button type="button" class="action subtle" on:click=move |_| form.set(None)>
                        {tr(Msg::Cancel)}
                    </button>
                </div>
            </form>
        </Show>
    }
}

/// How far to look, then the prospects found: listed with distances and drawn on the map.
#[component]
fn NearbySection(origin: NearbyOrigin, state: Dashboard, auto: bool) -> impl IntoView {
    let find = ServerAction::<api::FindNearbyProspects>::new();
    // Taken once: the closures below may run while the panel is being torn down, after the
    // action itself is gone.
    let (found, pending) = (find.value(), find.pending());
    let nearby = state.nearby;
    Effect::new(move |_| {
        if let Some(Some(Ok(hits))) = found.try_get() {
            nearby.set(hits);
        }
    });
    let by_radius = RwSignal::new(false);
    let k = RwSignal::new(10u32);
    let radius_km = RwSignal::new(5.0f64);
    let run = move || {
        let search = if by_radius.get_untracked() {
            NearbySearch::Within {
                metres: radius_km.get_untracked() * 1000.0,
            }
        } else {
            NearbySearch::Nearest {
                k: k.get_untracked(),
            }
        };
        find.dispatch(api::FindNearbyProspects { origin, search });
    };
    if auto {
        Effect::new(move |ran: Option<()>| {
            if ran.is_none() {
                run();
            }
        });
    }
    let searched = move || found.try_with(Option::is_some).unwrap_or(false);
    // "Add to today's route": which technician, and what happened per prospect.
    let technician = RwSignal::new(None::<i64>);
    let added = RwSignal::new(std::collections::HashMap::<i64, Result<bool, String>>::new());
    let add_to_route = move |account_id: i64| {
        let Some(technician_id) = technician.get_untracked() else {
            return;
        };
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let outcome = add_stop(technician_id, account_id).await;
            let _ = added.try_update(|a| a.insert(account_id, outcome));
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (technician_id, account_id, added);
    };
    let technicians = move || {
        state
            .options
            .get()
            .and_then(Result::ok)
            .map(|o| o.technicians)
            .unwrap_or_default()
    };
    view! {
        <div class="nearby-controls">
            <select data-testid="nearby-mode" on:change=move |ev| by_radius.set(event_target_value(&ev) == "radius")>
                <option value="nearest">{tr(Msg::NearestCount)}</option>
                <option value="radius">{tr(Msg::WithinKm)}</option>
            </select>
            <Show
                when=move || by_radius.get()
                fallback=move || view! {
                    <input type="number" min="1" max=NearbySearch::MAX_K data-testid="nearby-k"
                        prop:value=move || k.get()
                        on:input=move |ev| if let Ok(v) = event_target_value(&ev).parse() { k.set(v) } />
                }
            >
                <input type="number" min="0.1" step="0.5" max="200" data-testid="nearby-radius"
                    prop:value=move || radius_km.get()
                    on:input=move |ev| if let Ok(v) = event_target_value(&ev).parse() { radius_km.set(v) } />
            </Show>
            <button class="action" data-testid="find-nearby" on:click=move |_| run()>
                {tr(Msg::Search)}
            </button>
        </div>
        <Show when=move || !nearby.with(Vec::is_empty)>
            <label class="route-technician">
                <span>{tr(Msg::RouteTechnician)}</span>
                <select data-testid="route-technician" on:change=move |ev| technician.set(event_target_value(&ev).parse().ok())>
                    <option value="">"—"</option>
                    {move || technicians()
                        .into_iter()
                        .map(|t| view! { <option value=t.id.to_string()>{t.name}</option> })
                        .collect_view()}
                </select>
            </label>
        </Show>
        <ol class="nearby" data-testid="nearby">
            <For each=move || nearby.get() key=|p| p.id let(p)>
                <li data-testid="nearby-item" data-id=p.id data-distance=p.distance_m>
                    <button class="link" on:click=move |_| {
                        state.picked.set(None);
                        state.selected.set(Some(p.id));
                        state.fly_to.set(Some((p.lon, p.lat)));
                    }>{p.name.clone()}</button>
                    " · " <span class="muted">{format_distance(p.distance_m)} " · " {i18n::code_label(&p.status, i18n::account_status_msg)}</span>
                    <div class="nearby-route">
                        <button
                            class="action subtle"
                            data-testid="add-to-route"
                            disabled=move || technician.get().is_none()
                            on:click=move |_| add_to_route(p.id)
                        >
                            {tr(Msg::AddToRoute)}
                        </button>
                        {move || added.with(|a| a.get(&p.id).cloned()).map(|outcome| match outcome {
                            Ok(fits) => view! {
                                <span class="muted" data-testid="route-added" data-fits=fits.to_string()>
                                    {tr(if fits { Msg::AddedFits } else { Msg::AddedNoRoom })}
                                </span>
                            }.into_any(),
                            Err(e) => view! { <span class="error" data-testid="route-error">{e}</span> }.into_any(),
                        })}
                    </div>
                </li>
            </For>
        </ol>
        <Show when=move || searched() && nearby.with(Vec::is_empty) && !pending.try_get().unwrap_or(true)>
            <p class="muted" data-testid="nearby-none">{tr(Msg::NoneFound)}</p>
        </Show>
    }
}

/// The prospects around a spot the user clicked on the map.
#[component]
fn SpotPanel(state: Dashboard) -> impl IntoView {
    view! {
        <aside class="customer-panel spot-panel" data-testid="spot-panel">
            <button class="panel-close" data-testid="spot-close" on:click=move |_| state.picked.set(None)>
                {tr(Msg::Close)}
            </button>
            {move || state.picked.get().map(|(lon, lat)| view! {
                <header class="panel-head">
                    <h2>{tr(Msg::NearHere)}</h2>
                    <p class="muted" data-testid="spot-position" data-lon=lon data-lat=lat>
                        {format!("{lat:.5}, {lon:.5}")}
                    </p>
                </header>
                <NearbySection origin=NearbyOrigin::Point { lon, lat } state auto=true />
            })}
        </aside>
    }
}

/// Adds a visit at `account_id` to the technician's route today (the browser's calendar day),
/// through the field-service API; `Ok(true)` when the re-planned day has room for it.
#[cfg(feature = "hydrate")]
async fn add_stop(technician_id: i64, account_id: i64) -> Result<bool, String> {
    let now = js_sys::Date::new_0();
    let utc_offset_minutes = -(now.get_timezone_offset() as i32);
    let date = format!(
        "{:04}-{:02}-{:02}",
        now.get_full_year(),
        now.get_month() + 1,
        now.get_date()
    );
    let body = serde_json::json!({
        "technician_id": technician_id,
        "account_id": account_id,
        "date": date,
        "utc_offset_minutes": utc_offset_minutes,
    });
    let response = crate::auth::post("/api/v1/routes/add-stop")
        .json(&body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let answer: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
    if response.ok() {
        Ok(answer["planned"].as_bool().unwrap_or(false))
    } else {
        Err(answer["error"]
            .as_str()
            .unwrap_or("the visit could not be added")
            .to_owned())
    }
}
