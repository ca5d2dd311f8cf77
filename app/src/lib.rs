//! Wilayah's user interface: Leptos components rendered on the server (`ssr`) and hydrated in the
//! browser (`hydrate`), plus the server functions they call.

#[cfg(feature = "ssr")]
pub mod access;
pub mod admin;
pub mod api;
pub mod auth;
pub mod dashboard;
pub mod draw;
pub mod i18n;
pub mod import;
pub mod leads;
pub mod map;
pub mod pipeline;
pub mod planner;
#[cfg(feature = "ssr")]
pub mod store;
pub mod tech;
pub mod today;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::dashboard::HomePage;
use crate::i18n::{Msg, initial_locale, remember_locale, tr};

/// The HTML document around the app. MapLibre's UMD script is a classic script, so it has run
/// before the hydration module starts and the global `maplibregl` is there for [`map`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang=initial_locale().code()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href="/vendor/maplibre-gl.css" />
                <link rel="stylesheet" href="/wilayah.css" />
                <link rel="stylesheet" href="/sales.css" />
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
    provide_context(SignedIn(
        SharedValue::new(|| signed_in_on_request().0).into_inner(),
    ));

    view! {
        <Title text=tr(Msg::AppName) />
        <Router>
            <Routes fallback=|| view! { <p class="not-found">{tr(Msg::NotFound)}</p> }>
                <Route path=path!("/") view=HomePage />
                <Route path=path!("/tech") view=tech::TechPage />
                <Route path=path!("/planner") view=planner::PlannerPage />
                <Route path=path!("/login") view=auth::LoginPage />
                <Route path=path!("/setup") view=auth::SetupPage />
                <Route path=path!("/admin") view=admin::AdminPage />
                <Route path=path!("/leads") view=leads::LeadsPage />
                <Route path=path!("/pipeline") view=pipeline::PipelinePage />
                <Route path=path!("/today") view=today::TodayPage />
                <Route path=path!("/import") view=import::ImportPage />
            </Routes>
        </Router>
    }
}

/// The pages of the navigation, in order. Each shows only to the roles its page policy admits
/// (`wilayah_shared::access::APP_POLICIES`), so the menu and the server's 403 never disagree.
pub const NAV: &[(&str, Msg)] = &[
    ("/", Msg::MapLink),
    ("/today", Msg::NavToday),
    ("/leads", Msg::NavLeads),
    ("/pipeline", Msg::NavPipeline),
    ("/tech", Msg::NavMyDay),
    ("/planner", Msg::NavPlanner),
    ("/import", Msg::NavImport),
    ("/admin", Msg::NavAdmin),
];

/// Who is signed in, as the server saw this page's request. Read once by [`App`] as a shared
/// value: computed on the server, serialized into the page and read back when it hydrates, so
/// no page waits on a resource for it.
#[derive(Debug, Clone, Default)]
pub struct SignedIn(pub Option<wilayah_shared::access::Caller>);

fn signed_in_on_request() -> SignedIn {
    #[cfg(feature = "ssr")]
    {
        SignedIn(crate::access::signed_in())
    }
    #[cfg(not(feature = "ssr"))]
    {
        SignedIn(None)
    }
}

/// The signed-in caller of this page, if any.
pub fn use_signed_in() -> Option<wilayah_shared::access::Caller> {
    use_context::<SignedIn>().and_then(|s| s.0)
}

/// The navigation links the signed-in caller may open.
fn nav_for(caller: Option<&wilayah_shared::access::Caller>) -> Vec<(&'static str, Msg)> {
    NAV.iter()
        .copied()
        .filter(|(path, _)| wilayah_shared::access::rule_for("GET", path).admits(caller))
        .collect()
}

/// Links to the pages the signed-in caller may use, the current one marked.
#[component]
pub fn NavLinks() -> impl IntoView {
    let caller = use_signed_in();
    let here = leptos_router::hooks::use_location().pathname;
    let links = nav_for(caller.as_ref())
        .into_iter()
        .map(|(path, label)| {
            let current = move || here.with(|p| p == path);
            view! {
                <a
                    class="nav-link"
                    class:current=current
                    href=path
                    aria-current=move || current().then_some("page")
                    data-testid=format!("nav{}", path.replace('/', "-"))
                >
                    {tr(label)}
                </a>
            }
        })
        .collect_view();
    view! { <nav class="main-nav" aria-label=tr(Msg::NavLabel) data-testid="main-nav">{links}</nav> }
}

/// The same top bar on every page: brand, the pages the role may use (the current one marked),
/// the language switch and a user menu with sign-out. `title` names the page.
#[component]
pub fn Header(#[prop(optional)] title: Option<Msg>) -> impl IntoView {
    let locale = i18n::use_locale();
    let switch = move |_| {
        let next = locale.get_untracked().other();
        remember_locale(next);
        locale.set(next);
        #[cfg(feature = "hydrate")]
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", next.code());
        }
    };
    let caller = use_signed_in();
    let who = caller.map(|c| {
        let role = c.role;
        view! {
            <details class="user-menu" data-testid="user-menu">
                <summary>{c.email.clone()}</summary>
                <div class="user-menu-body">
                    <p class="muted">{tr(i18n::role_msg(role))}</p>
                    <auth::LogoutButton />
                </div>
            </details>
        }
    });
    view! {
        <header class="topbar">
            <h1 class="brand">{tr(Msg::AppName)}</h1>
            <NavLinks />
            <p class="tagline" data-testid="tagline">{tr(title.unwrap_or(Msg::Tagline))}</p>
            <button
                class="lang-switch"
                data-testid="lang-switch"
                lang=move || locale.get().other().code()
                on:click=switch
            >
                {tr(Msg::SwitchLanguage)}
            </button>
            {who}
        </header>
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

/// Short money for KPI cards: rupiah in thousands (rb), millions (jt), billions (M) and trillions
/// (T) the way Indonesian reports write them; other currencies in full.
pub fn format_money_short(minor: i64, currency: &str) -> String {
    if currency != "IDR" || minor.unsigned_abs() < 1_000_000 {
        return format_money(minor, currency);
    }
    let value = minor as f64;
    let (scaled, unit) = [(1e12, "T"), (1e9, "M"), (1e6, "jt")]
        .into_iter()
        .find(|(size, _)| value.abs() >= *size)
        .map(|(size, unit)| (value / size, unit))
        .expect("at least a million here");
    format!("Rp {} {unit}", format!("{scaled:.1}").replace('.', ","))
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
    fn short_money_uses_indonesian_units() {
        assert_eq!(super::format_money_short(950_000, "IDR"), "Rp 950.000");
        assert_eq!(super::format_money_short(12_340_000, "IDR"), "Rp 12,3 jt");
        assert_eq!(super::format_money_short(2_500_000_000, "IDR"), "Rp 2,5 M");
        assert_eq!(
            super::format_money_short(-3_000_000_000_000, "IDR"),
            "Rp -3,0 T"
        );
        assert_eq!(
            super::format_money_short(12_340_000, "USD"),
            "USD 12.340.000"
        );
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
