//! Wilayah's user interface: Leptos components rendered on the server (`ssr`) and hydrated in the
//! browser (`hydrate`), plus the server functions they call.

pub mod admin;
pub mod api;
pub mod auth;
pub mod i18n;
pub mod map;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use wilayah_shared::domain::{AccountKind, DashboardSummary};

use crate::i18n::{Msg, initial_locale, remember_locale, tr};
use crate::map::{MapSettings, Overlay, kind_colour};
use wilayah_shared::account::AccountPanel;

/// The HTML document around the app. MapLibre's UMD script is a classic script, so it has run
/// before the hydration module starts and the global `maplibregl` is there for [`map`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href="/vendor/maplibre-gl.css" />
                <link rel="stylesheet" href="/wilayah.css" />
                <script src="/vendor/maplibre-gl.js"></script>
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = RwSignal::new(initial_locale());
    provide_context(locale);

    view! {
        <Title text=tr(Msg::AppName) />
        <Router>
            <Routes fallback=|| view! { <p class="not-found">{tr(Msg::NotFound)}</p> }>
                <Route path=path!("/") view=HomePage />
                <Route path=path!("/login") view=auth::LoginPage />
                <Route path=path!("/setup") view=auth::SetupPage />
                <Route path=path!("/admin") view=admin::AdminPage />
            </Routes>
        </Router>
    }
}

/// Which overlays are shown; shared by the toggles (which double as the legend) and the map.
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

#[component]
fn HomePage() -> impl IntoView {
    let overlays = Overlays::new();
    let selected = RwSignal::new(None::<i64>);
    let nearby = RwSignal::new(Vec::<api::NearbyProspect>::new());
    // Nearby prospects belong to the account they were found for.
    Effect::new(move |_| {
        selected.track();
        nearby.set(Vec::new());
    });
    let settings = Resource::new(|| (), |_| api::get_map_settings());

    view! {
        <div class="layout">
            <Header />
            <aside class="sidebar">
                <SummaryPanel />
                <LayerToggles overlays />
            </aside>
            <main class="map-area">
                <Suspense fallback=|| view! { <div class="map map-loading">{tr(Msg::Loading)}</div> }>
                    {move || Suspend::new(async move {
                        match settings.await {
                            Ok(settings) => view! { <MapView settings overlays selected nearby /> }.into_any(),
                            Err(_) => view! { <p class="error">{tr(Msg::LoadFailed)}</p> }.into_any(),
                        }
                    })}
                </Suspense>
                <Show when=move || selected.get().is_some()>
                    <CustomerPanel selected nearby />
                </Show>
            </main>
        </div>
    }
}

#[component]
fn Header() -> impl IntoView {
    let locale = i18n::use_locale();
    let switch = move |_| {
        let next = locale.get_untracked().other();
        remember_locale(next);
        locale.set(next);
    };
    view! {
        <header class="topbar">
            <h1 class="brand">{tr(Msg::AppName)}</h1>
            <p class="tagline" data-testid="tagline">{tr(Msg::Tagline)}</p>
            <button
                class="lang-switch"
                data-testid="lang-switch"
                lang=move || locale.get().other().code()
                on:click=switch
            >
                {tr(Msg::SwitchLanguage)}
            </button>
            <auth::LogoutButton />
        </header>
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

/// Layer switches double as the legend: each names an overlay in its map colour.
#[component]
fn LayerToggles(overlays: Overlays) -> impl IntoView {
    let toggle = |overlay: Overlay, label: Msg, key: &'static str, swatch: String| {
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
    view! {
        <section class="panel layers">
            <h2>{tr(Msg::Layers)}</h2>
            {toggle(Overlay::Customers, Msg::Customers, "customer", kind_swatch(AccountKind::Customer))}
            {toggle(Overlay::Prospects, Msg::Prospects, "prospect", kind_swatch(AccountKind::Prospect))}
            {toggle(Overlay::Territories, Msg::Territories, "territories", "background:rgba(43,138,62,0.25);border-radius:3px".into())}
            {toggle(Overlay::Visits, Msg::VisitsToday, "visits", "background:transparent;border:3px solid #495057".into())}
        </section>
    }
}

#[component]
fn MapView(
    settings: MapSettings,
    overlays: Overlays,
    selected: RwSignal<Option<i64>>,
    nearby: RwSignal<Vec<api::NearbyProspect>>,
) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    let locale = i18n::use_locale();

    #[cfg(feature = "hydrate")]
    {
        let handle = StoredValue::new_local(None::<map::MapHandle>);
        Effect::new(move |_| {
            let Some(element) = container.get() else {
                return;
            };
            if handle.with_value(Option::is_some) {
                return;
            }
            let attribution = Msg::BasemapAttribution.text(locale.get_untracked());
            let visible = move |overlay: Overlay| overlays.signal(overlay).get_untracked();
            let select = move |id: i64| selected.set(Some(id));
            let created = map::MapHandle::create(&element, &settings, attribution, visible, select);
            handle.set_value(Some(created));
        });
        Effect::new(move |_| {
            let positions: Vec<(f64, f64)> =
                nearby.with(|n| n.iter().map(|p| (p.lon, p.lat)).collect());
            handle.with_value(|h| {
                if let Some(h) = h {
                    h.set_nearby(&positions);
                }
            });
        });
        for overlay in Overlay::ALL {
            Effect::new(move |_| {
                let shown = overlays.signal(overlay).get();
                handle.with_value(|h| {
                    if let Some(h) = h {
                        h.set_visible(overlay, shown);
                    }
                });
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (settings, overlays, selected, nearby);

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

/// "850 m" below a kilometre, "12,3 km" above (Indonesian decimal comma).
pub fn format_distance(metres: f64) -> String {
    if metres < 1000.0 {
        format!("{metres:.0} m")
    } else {
        format!("{:.1} km", metres / 1000.0).replace('.', ",")
    }
}

/// Rupiah with Indonesian digit grouping: `Rp 12.345.678`.
pub fn format_money(minor: i64, currency: &str) -> String {
    let digits = minor.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if minor < 0 { "-" } else { "" };
    match currency {
        "IDR" => format!("{sign}Rp {grouped}"),
        other => format!("{sign}{other} {grouped}"),
    }
}

/// The selected account: who it is, who owns it, what is open with it, and its history.
#[component]
fn CustomerPanel(
    selected: RwSignal<Option<i64>>,
    nearby: RwSignal<Vec<api::NearbyProspect>>,
) -> impl IntoView {
    let panel = Resource::new(
        move || selected.get(),
        |id| async move {
            match id {
                Some(id) => api::get_account_panel(id).await,
                None => Ok(None),
            }
        },
    );
    view! {
        <aside class="customer-panel" data-testid="customer-panel">
            <button class="panel-close" data-testid="panel-close" on:click=move |_| selected.set(None)>
                {tr(Msg::Close)}
            </button>
            <Suspense fallback=|| view! { <p>{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match panel.await {
                        Ok(Some(p)) => view! { <PanelBody panel=p nearby /> }.into_any(),
                        Ok(None) => view! { <p>{tr(Msg::AccountMissing)}</p> }.into_any(),
                        Err(_) => view! { <p class="error">{tr(Msg::LoadFailed)}</p> }.into_any(),
                    }
                })}
            </Suspense>
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
fn PanelBody(panel: AccountPanel, nearby: RwSignal<Vec<api::NearbyProspect>>) -> impl IntoView {
    let a = panel.account;
    let account_id = a.id;
    let find_nearby = ServerAction::<api::GetNearbyProspects>::new();
    Effect::new(move |_| {
        if let Some(Ok(found)) = find_nearby.value().get() {
            nearby.set(found);
        }
    });
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
        .map(|d| view! { <li>{d.title} " · " {d.stage} " · " {format_money(d.value_minor, &d.currency)}</li> }.into_any())
        .collect();
    let cases = panel
        .open_cases
        .into_iter()
        .map(|c| view! { <li>{c.subject} " · " {c.status} " · " {c.priority}</li> }.into_any())
        .collect();
    let last_visit = panel
        .last_visit
        .map(|v| format!("{} · {}", v.window_start.format("%Y-%m-%d"), v.status));
    let history = panel
        .history
        .into_iter()
        .map(|e| {
            view! {
                <li class="timeline-entry" data-testid="history-entry">
                    <span class="when">{e.at.format("%Y-%m-%d").to_string()}</span>
                    <span class=format!("tag tag-{}", e.kind)>{e.label}</span>
                    <span>{e.title}</span>
                </li>
            }
            .into_any()
        })
        .collect();
    view! {
        <header class="panel-head">
            <h2 data-testid="panel-name">{a.name}</h2>
            <p class="muted">{tr(kind)} " · " {a.status.as_str()} {a.segment.map(|s| format!(" · {s}"))}</p>
            <p>{a.address}</p>
        </header>
        <dl class="facts">
            <dt>{tr(Msg::Owner)}</dt>
            <dd>{panel.owner_name.unwrap_or_else(|| "—".into())}</dd>
            <dt>{tr(Msg::Territories)}</dt>
            <dd>{panel.territory_name.unwrap_or_else(|| "—".into())}</dd>
            <dt>{tr(Msg::Revenue)}</dt>
            <dd>{format_money(a.revenue_minor, &a.currency)}</dd>
            <dt>{tr(Msg::CostToServe)}</dt>
            <dd>{format_money(a.cost_to_serve_minor, &a.currency)}</dd>
            <dt>{tr(Msg::LastVisit)}</dt>
            <dd>{last_visit.unwrap_or_else(|| "—".into())}</dd>
        </dl>
        <h3>{tr(Msg::Contacts)}</h3>
        <ul>{or_nothing(contacts)}</ul>
        <h3>{tr(Msg::OpenDeals)}</h3>
        <ul>{or_nothing(deals)}</ul>
        <h3>{tr(Msg::OpenCases)}</h3>
        <ul>{or_nothing(cases)}</ul>
        <h3>{tr(Msg::NearbyProspects)}</h3>
        <button
            class="action"
            data-testid="find-nearby"
            on:click=move |_| {
                find_nearby.dispatch(api::GetNearbyProspects { account_id, k: 10 });
            }
        >
            {tr(Msg::FindNearby)}
        </button>
        <ol class="nearby" data-testid="nearby">
            <For each=move || nearby.get() key=|p| p.id let(p)>
                <li data-testid="nearby-item" data-id=p.id data-distance=p.distance_m>
                    {p.name} " · " <span class="muted">{format_distance(p.distance_m)} " · " {p.status}</span>
                </li>
            </For>
        </ol>
        <h3>{tr(Msg::History)}</h3>
        <ul class="timeline" data-testid="history">{or_nothing(history)}</ul>
    }
}

/// Keeps `Locale` reachable for tests and other crates without going through the module path.
pub use i18n::Locale as UiLocale;

#[cfg(test)]
mod tests {
    use crate::i18n::Locale;

    #[test]
    fn money_is_grouped_the_indonesian_way() {
        assert_eq!(super::format_money(0, "IDR"), "Rp 0");
        assert_eq!(super::format_money(999, "IDR"), "Rp 999");
        assert_eq!(super::format_money(1_000, "IDR"), "Rp 1.000");
        assert_eq!(super::format_money(12_345_678, "IDR"), "Rp 12.345.678");
        assert_eq!(super::format_money(-5_000, "USD"), "-USD 5.000");
    }

    #[test]
    fn distances_read_naturally() {
        assert_eq!(super::format_distance(849.6), "850 m");
        assert_eq!(super::format_distance(12_345.0), "12,3 km");
    }

    #[test]
    fn locale_switch_alternates() {
        assert_eq!(Locale::En.other(), Locale::Id);
        assert_eq!(Locale::Id.other(), Locale::En);
    }
}
