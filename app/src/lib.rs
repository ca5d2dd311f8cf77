//! Wilayah's user interface: Leptos components rendered on the server (`ssr`) and hydrated in the
//! browser (`hydrate`), plus the server functions they call.

#[cfg(feature = "ssr")]
pub mod access;
pub mod account_page;
pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod api;
pub mod auth;
pub mod campaigns;
pub mod cases;
pub mod dashboard;
pub mod draw;
pub mod errors;
pub mod i18n;
pub mod import;
pub mod intake;
pub mod leads;
pub mod map;
pub mod pin_map;
pub mod pipeline;
pub mod planner;
pub mod rest;
pub mod sales;
pub mod segments;
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
                <link rel="stylesheet" href="/workspace.css" />
                <link rel="stylesheet" href="/service.css" />
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
        // A plain string, not a translation closure: leptos_meta reads the title when it writes
        // the page's head, which can come after the page's reactive owner (and the language
        // signal a closure would read) is gone; reading it then panicked, and a panic there
        // could leave the page's stream unfinished. The brand is the same in both languages.
        <Title text=Msg::AppName.text(initial_locale()) />
        <Router>
            <Routes fallback=|| view! { <p class="not-found">{tr(Msg::NotFound)}</p> }>
                <Route path=path!("/") view=HomePage />
                <Route path=path!("/tech") view=tech::TechPage />
                <Route path=path!("/planner") view=planner::PlannerPage />
                <Route path=path!("/login") view=auth::LoginPage />
                <Route path=path!("/setup") view=auth::SetupPage />
                <Route path=path!("/admin") view=admin::AdminPage />
                <Route path=path!("/analytics") view=analytics::AnalyticsPage />
                <Route path=path!("/leads") view=leads::LeadsPage />
                <Route path=path!("/pipeline") view=pipeline::PipelinePage />
                <Route path=path!("/today") view=today::TodayPage />
                <Route path=path!("/import") view=import::ImportPage />
                <Route path=path!("/accounts") view=accounts::AccountsPage />
                <Route path=path!("/accounts/new") view=account_page::NewAccountPage />
                <Route path=path!("/accounts/:id") view=account_page::AccountPage />
                <Route path=path!("/catalogue") view=sales::CataloguePage />
                <Route path=path!("/quotes/:id") view=sales::QuotePage />
                <Route path=path!("/quotes/:id/print") view=sales::QuotePrintPage />
                <Route path=path!("/orders") view=sales::OrdersPage />
                <Route path=path!("/orders/:id") view=sales::OrderPage />
                <Route path=path!("/cases") view=cases::CasesPage />
                <Route path=path!("/call-centre") view=intake::CallCentrePage />
                <Route path=path!("/report") view=intake::ReportPage />
                <Route path=path!("/survey/:id") view=intake::SurveyPage />
                <Route path=path!("/segments") view=segments::SegmentsPage />
                <Route path=path!("/campaigns") view=campaigns::CampaignsPage />
                <Route path=path!("/campaigns/new") view=campaigns::CampaignPage />
                <Route path=path!("/campaigns/:id") view=campaigns::CampaignPage />
            </Routes>
        </Router>
    }
}

/// Where a page's link sits in the top bar: always in the row, in the row on a desktop but in
/// "More" on a tablet, or always in "More" (pages used now and then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavPlace {
    Row,
    RowOnDesktop,
    More,
}

/// The pages of the navigation, in order. Each shows only to the roles its page policy admits
/// (`wilayah_shared::access::APP_POLICIES`), so the menu and the server's 403 never disagree.
pub const NAV: &[(&str, Msg, NavPlace)] = &[
    ("/", Msg::MapLink, NavPlace::Row),
    ("/accounts", Msg::NavAccounts, NavPlace::Row),
    ("/today", Msg::NavToday, NavPlace::Row),
    ("/leads", Msg::NavLeads, NavPlace::RowOnDesktop),
    ("/pipeline", Msg::NavPipeline, NavPlace::Row),
    ("/cases", Msg::NavCases, NavPlace::Row),
    ("/call-centre", Msg::NavCallCentre, NavPlace::More),
    ("/tech", Msg::NavMyDay, NavPlace::RowOnDesktop),
    ("/planner", Msg::NavPlanner, NavPlace::RowOnDesktop),
    ("/analytics", Msg::NavAnalytics, NavPlace::Row),
    ("/orders", Msg::NavOrders, NavPlace::RowOnDesktop),
    ("/campaigns", Msg::NavCampaigns, NavPlace::More),
    ("/segments", Msg::NavSegments, NavPlace::More),
    ("/import", Msg::NavImport, NavPlace::More),
    ("/catalogue", Msg::NavCatalogue, NavPlace::More),
    ("/admin", Msg::NavAdmin, NavPlace::More),
    // The public form is for customers; staff who open it find it under More.
    ("/report", Msg::NavReport, NavPlace::More),
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
fn nav_for(caller: Option<&wilayah_shared::access::Caller>) -> Vec<(&'static str, Msg, NavPlace)> {
    NAV.iter()
        .copied()
        .filter(|(path, _, _)| wilayah_shared::access::rule_for("GET", path).admits(caller))
        .collect()
}

/// Links to the pages the signed-in caller may use, the current one marked; the pages used now
/// and then (and on a tablet, some more) sit in a "More" menu so the bar keeps one row.
#[component]
pub fn NavLinks() -> impl IntoView {
    let caller = use_signed_in();
    let here = leptos_router::hooks::use_location().pathname;
    let mut pages = nav_for(caller.as_ref());
    // A role with few pages (a technician, a planner) keeps them all in the row.
    if pages.len() <= 6 {
        for page in &mut pages {
            page.2 = NavPlace::Row;
        }
    }
    let link = move |path: &'static str, label: Msg, class: &'static str, testid: String| {
        let current = move || here.with(|p| p == path);
        view! {
            <a
                class=class
                class:current=current
                href=path
                aria-current=move || current().then_some("page")
                data-testid=testid
            >
                {tr(label)}
            </a>
        }
    };
    let testid = |path: &str| format!("nav{}", path.replace('/', "-"));
    let row = pages
        .iter()
        .filter(|(_, _, place)| *place != NavPlace::More)
        .map(|&(path, label, place)| {
            let class = match place {
                NavPlace::RowOnDesktop => "nav-link desktop-only",
                _ => "nav-link",
            };
            link(path, label, class, testid(path))
        })
        .collect_view();
    let more: Vec<_> = pages
        .iter()
        .filter(|(_, _, place)| *place != NavPlace::Row)
        .copied()
        .collect();
    let more_is_tablet_only = more
        .iter()
        .all(|(_, _, place)| *place == NavPlace::RowOnDesktop);
    let more_links = more
        .into_iter()
        .map(|(path, label, place)| {
            let class = match place {
                NavPlace::RowOnDesktop => "nav-link tablet-only",
                _ => "nav-link",
            };
            link(path, label, class, format!("{}-more", testid(path)))
        })
        .collect_view();
    let has_more = pages.iter().any(|(_, _, place)| *place != NavPlace::Row);
    view! {
        <nav class="main-nav" aria-label=tr(Msg::NavLabel) data-testid="main-nav">
            {row}
            {has_more.then(|| view! {
                <details class="nav-more" class:tablet-only=more_is_tablet_only data-testid="nav-more">
                    <summary class="nav-link">{tr(Msg::NavMore)}</summary>
                    <div class="nav-more-body">{more_links}</div>
                </details>
            })}
        </nav>
    }
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

/// The browser's calendar day `days` from today, `YYYY-MM-DD` (empty on the server, where pages
/// do not pick dates).
pub fn local_date_in(days: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let now = js_sys::Date::new_0();
        let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            now.get_time() + days as f64 * 86_400_000.0,
        ));
        format!(
            "{:04}-{:02}-{:02}",
            at.get_full_year(),
            at.get_month() + 1,
            at.get_date()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = days;
        String::new()
    }
}

/// The language's separators: `(thousands, decimal)`; Indonesian writes 12.345,6.
fn separators(locale: UiLocale) -> (char, char) {
    match locale {
        UiLocale::En => (',', '.'),
        UiLocale::Id => ('.', ','),
    }
}

/// A whole number with the language's digit grouping: 12,345 or 12.345.
pub fn format_count_in(locale: UiLocale, n: i64) -> String {
    let (thousands, _) = separators(locale);
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        grouped.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(thousands);
        }
        grouped.push(c);
    }
    grouped
}

/// A number with `decimals` digits after the language's decimal mark: 12.3 or 12,3.
pub fn format_decimal_in(locale: UiLocale, x: f64, decimals: usize) -> String {
    let (_, decimal) = separators(locale);
    let text = format!("{:.*}", decimals, x.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let whole: i64 = whole.parse().unwrap_or(0);
    let sign = if x < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        "-"
    } else {
        ""
    };
    let mut out = format!("{sign}{}", format_count_in(locale, whole));
    if !fraction.is_empty() {
        out.push(decimal);
        out.push_str(fraction);
    }
    out
}

/// The language the page shows now (outside a page, the request's).
/// Reads the context without creating anything: the formatters are also called outside any
/// page (by tests computing expected texts), where no reactive owner exists.
fn current_locale() -> UiLocale {
    use_context::<RwSignal<UiLocale>>()
        .and_then(|locale| locale.try_get())
        .unwrap_or_else(initial_locale)
}

/// "850 m" below a kilometre, "12.3 km" / "12,3 km" above, in the page's language.
pub fn format_distance(metres: f64) -> String {
    format_distance_in(current_locale(), metres)
}

pub fn format_distance_in(locale: UiLocale, metres: f64) -> String {
    if metres < 1000.0 {
        format!("{metres:.0} m")
    } else {
        format!("{} km", format_decimal_in(locale, metres / 1000.0, 1))
    }
}

/// Money in the page's language, from minor units of `currency`: `Rp 12.345.678` in Indonesian,
/// `Rp 12,345,678` in English; currencies with cents show them (`USD 1,234.50`).
pub fn format_money(minor: i64, currency: &str) -> String {
    format_money_in(current_locale(), minor, currency)
}

pub fn format_money_in(locale: UiLocale, minor: i64, currency: &str) -> String {
    let digits = wilayah_shared::money::Currency::parse("currency", currency)
        .map(|c| c.minor_digits())
        .unwrap_or(0);
    let sign = if minor < 0 { "-" } else { "" };
    let amount = if digits == 0 {
        format_count_in(locale, minor.unsigned_abs() as i64)
    } else {
        let scale = 10_u64.pow(digits);
        let (whole, part) = (minor.unsigned_abs() / scale, minor.unsigned_abs() % scale);
        let (_, decimal) = separators(locale);
        format!(
            "{}{decimal}{part:0width$}",
            format_count_in(locale, whole as i64),
            width = digits as usize
        )
    };
    match currency {
        "IDR" => format!("{sign}Rp {amount}"),
        other => format!("{sign}{other} {amount}"),
    }
}

/// Short money for KPI cards: rupiah in thousands (rb), millions (jt), billions (M) and trillions
/// (T) the way Indonesian reports write them, in English k, M, B and T; other currencies in full.
pub fn format_money_short(minor: i64, currency: &str) -> String {
    format_money_short_in(current_locale(), minor, currency)
}

pub fn format_money_short_in(locale: UiLocale, minor: i64, currency: &str) -> String {
    if currency != "IDR" || minor.unsigned_abs() < 1_000_000 {
        return format_money_in(locale, minor, currency);
    }
    let units = match locale {
        UiLocale::Id => [(1e12, "T"), (1e9, "M"), (1e6, "jt")],
        UiLocale::En => [(1e12, "T"), (1e9, "B"), (1e6, "M")],
    };
    let value = minor as f64;
    let (scaled, unit) = units
        .into_iter()
        .find(|(size, _)| value.abs() >= *size)
        .map(|(size, unit)| (value / size, unit))
        .expect("at least a million here");
    format!("Rp {} {unit}", format_decimal_in(locale, scaled, 1))
}

/// A date in the page's language: "5 Dec 2026" / "5 Des 2026".
pub fn format_date(date: chrono::NaiveDate) -> String {
    format_date_in(current_locale(), date)
}

pub fn format_date_in(locale: UiLocale, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const ID: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
    ];
    let months = match locale {
        UiLocale::En => EN,
        UiLocale::Id => ID,
    };
    format!(
        "{} {} {}",
        date.day(),
        months[date.month0() as usize],
        date.year()
    )
}

/// Keeps `Locale` reachable for tests and other crates without going through the module path.
pub use i18n::Locale as UiLocale;

#[cfg(test)]
mod tests {
    use crate::i18n::Locale;

    #[test]
    fn money_is_grouped_the_way_each_language_writes_it() {
        use super::format_money_in as money;
        assert_eq!(money(Locale::Id, 0, "IDR"), "Rp 0");
        assert_eq!(money(Locale::Id, 999, "IDR"), "Rp 999");
        assert_eq!(money(Locale::Id, 1_000, "IDR"), "Rp 1.000");
        assert_eq!(money(Locale::Id, 12_345_678, "IDR"), "Rp 12.345.678");
        assert_eq!(money(Locale::En, 12_345_678, "IDR"), "Rp 12,345,678");
        assert_eq!(money(Locale::En, -500_050, "USD"), "-USD 5,000.50");
        assert_eq!(money(Locale::Id, -500_050, "USD"), "-USD 5.000,50");
        assert_eq!(money(Locale::En, 1_234_567, "KWD"), "KWD 1,234.567");
    }

    #[test]
    fn short_money_uses_each_languages_units() {
        use super::format_money_short_in as short;
        assert_eq!(short(Locale::Id, 950_000, "IDR"), "Rp 950.000");
        assert_eq!(short(Locale::Id, 12_340_000, "IDR"), "Rp 12,3 jt");
        assert_eq!(short(Locale::En, 12_340_000, "IDR"), "Rp 12.3 M");
        assert_eq!(short(Locale::Id, 2_500_000_000, "IDR"), "Rp 2,5 M");
        assert_eq!(short(Locale::En, 2_500_000_000, "IDR"), "Rp 2.5 B");
        assert_eq!(short(Locale::Id, -3_000_000_000_000, "IDR"), "Rp -3,0 T");
        assert_eq!(short(Locale::Id, 12_340_000, "USD"), "USD 123.400,00");
    }

    #[test]
    fn distances_numbers_and_dates_read_naturally() {
        assert_eq!(super::format_distance_in(Locale::Id, 849.6), "850 m");
        assert_eq!(super::format_distance_in(Locale::Id, 12_345.0), "12,3 km");
        assert_eq!(
            super::format_distance_in(Locale::En, 1_234_567.0),
            "1,234.6 km"
        );
        assert_eq!(super::format_decimal_in(Locale::Id, -0.04, 1), "0,0");
        assert_eq!(super::format_count_in(Locale::En, -1_234), "-1,234");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(super::format_date_in(Locale::Id, day), "5 Des 2026");
        assert_eq!(super::format_date_in(Locale::En, day), "5 Dec 2026");
    }

    #[test]
    fn locale_switch_alternates() {
        assert_eq!(Locale::En.other(), Locale::Id);
        assert_eq!(Locale::Id.other(), Locale::En);
    }
}
