//! Wilayah's user interface: Leptos components rendered on the server (`ssr`) and hydrated in the
//! browser (`hydrate`), plus the server functions they call.

pub mod api;
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
use crate::map::{MapSettings, kind_colour};

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
            </Routes>
        </Router>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    let show_customers = RwSignal::new(true);
    let show_prospects = RwSignal::new(true);
    let settings = Resource::new(|| (), |_| api::get_map_settings());

    view! {
        <div class="layout">
            <Header />
            <aside class="sidebar">
                <SummaryPanel />
                <LayerToggles show_customers show_prospects />
            </aside>
            <main class="map-area">
                <Suspense fallback=|| view! { <div class="map map-loading">{tr(Msg::Loading)}</div> }>
                    {move || Suspend::new(async move {
                        match settings.await {
                            Ok(settings) => view! { <MapView settings show_customers show_prospects /> }.into_any(),
                            Err(_) => view! { <p class="error">{tr(Msg::LoadFailed)}</p> }.into_any(),
                        }
                    })}
                </Suspense>
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

/// Layer switches double as the legend: each names a kind in its map colour.
#[component]
fn LayerToggles(show_customers: RwSignal<bool>, show_prospects: RwSignal<bool>) -> impl IntoView {
    let toggle = |kind: AccountKind, label: Msg, signal: RwSignal<bool>| {
        view! {
            <label class="layer-toggle">
                <input
                    type="checkbox"
                    data-testid=format!("toggle-{}", kind.as_str())
                    checked=signal.get_untracked()
                    prop:checked=move || signal.get()
                    on:change=move |ev| signal.set(event_target_checked(&ev))
                />
                <span class="swatch" style=format!("background:{}", kind_colour(kind))></span>
                <span>{tr(label)}</span>
            </label>
        }
    };
    view! {
        <section class="panel layers">
            <h2>{tr(Msg::Layers)}</h2>
            {toggle(AccountKind::Customer, Msg::Customers, show_customers)}
            {toggle(AccountKind::Prospect, Msg::Prospects, show_prospects)}
        </section>
    }
}

#[component]
fn MapView(
    settings: MapSettings,
    show_customers: RwSignal<bool>,
    show_prospects: RwSignal<bool>,
) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    let locale = i18n::use_locale();

    #[cfg(feature = "hydrate")]
    {
        let handle = StoredValue::new_local(None::<map::MapHandle>);
        let visible = move |kind: AccountKind| match kind {
            AccountKind::Customer => show_customers.get_untracked(),
            AccountKind::Prospect => show_prospects.get_untracked(),
        };
        Effect::new(move |_| {
            let Some(element) = container.get() else {
                return;
            };
            if handle.with_value(Option::is_some) {
                return;
            }
            let attribution = Msg::BasemapAttribution.text(locale.get_untracked());
            let created = map::MapHandle::create(&element, &settings, attribution, visible);
            handle.set_value(Some(created));
        });
        Effect::new(move |_| {
            let (customers, prospects) = (show_customers.get(), show_prospects.get());
            handle.with_value(|h| {
                if let Some(h) = h {
                    h.set_visible(AccountKind::Customer, customers);
                    h.set_visible(AccountKind::Prospect, prospects);
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (settings, show_customers, show_prospects);

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

/// Keeps `Locale` reachable for tests and other crates without going through the module path.
pub use i18n::Locale as UiLocale;

#[cfg(test)]
mod tests {
    use crate::i18n::Locale;

    #[test]
    fn locale_switch_alternates() {
        assert_eq!(Locale::En.other(), Locale::Id);
        assert_eq!(Locale::Id.other(), Locale::En);
    }
}
