//! `/analytics`: the analytical CRM for the current filter (period, territory, rep, account
//! segment) — RFM segments, the 80/20 and whale curves, profitability with the geographic cost to
//! serve, cohorts and movement, revenue by month per territory or rep against the period before,
//! bought-together rules, unusual orders, lifetime value and churn risk from the stored scores,
//! and the background scoring job with its progress. Everything loads after hydration from the
//! REST API (`/api/v1/analytics/*`, which scopes every figure to the caller's accounts); charts
//! are SVG drawn here, each with its table beside it and a CSV link. Texts in [`AMsg`].
//!
//! [`ProfitWaterfall`] is the account page's profitability waterfall, self-contained.

use leptos::prelude::*;
use serde_json::Value;

use crate::i18n::{Locale, Msg, Text, tr, use_locale};
use crate::{Header, format_money_short};

/// The analytics page's own texts, `[English, Bahasa Indonesia]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AMsg {
    Filters,
    From,
    To,
    Territory,
    Rep,
    Segment,
    Any,
    Print,
    Csv,
    Loading,
    LoadFailed,
    NoData,
    Account,
    Customers,
    Value,
    Month,
    // Scoring job
    ScoringTitle,
    ScoreNow,
    JobRunning,
    JobDone,
    JobFailed,
    JobNever,
    FailTooLittleData,
    FailCurrencies,
    FailOther,
    FailBusy,
    // RFM
    RfmTitle,
    // 80/20
    ParetoTitle,
    Revenue,
    Profit,
    TopShareRevenue,
    TopShareProfit,
    CustomerShare,
    // Profitability
    ProfitTitle,
    CostOfGoods,
    GrossMargin,
    VisitCost,
    CaseCost,
    CampaignCost,
    Acquisition,
    LosingCustomers,
    CampaignNote,
    // Cohorts and movement
    CohortTitle,
    Cohort,
    MovementTitle,
    Gained,
    Lost,
    WonBack,
    Active,
    // Trend
    TrendTitle,
    ByTerritory,
    ByRep,
    ThisPeriod,
    PreviousPeriod,
    Change,
    NoTerritory,
    NoOwner,
    // Cross-sell
    CrossSellTitle,
    Buys,
    AlsoBuys,
    Support,
    Confidence,
    Lift,
    // Unusual orders
    UnusualTitle,
    Order,
    Date,
    Amount,
    Score,
    // Lifetime value
    ClvTitle,
    RiskTitle,
    PAlive,
    ChurnRisk,
    ExpectedPurchases,
    Clv,
    ValueAtRisk,
    FittedOn,
    // Map
    MapTitle,
    Metric,
    MetricRevenue,
    MetricProfit,
    MetricClv,
    MetricChurn,
    MetricSegment,
    HeatLayer,
    PointsLayer,
    NearTitle,
    NearHint,
    Distance,
    NearMe,
    NearCentre,
    AlongRoute,
    NoPosition,
    NoStops,
    NearStop,
    AddVisit,
    VisitAdded,
    VisitFailed,
    AddTask,
    TaskAdded,
    TaskFailed,
    TaskTitle,
    CsatTitle,
    CsatAnswered,
    CsatMean,
    CsatShare,
    CsatServedBy,
    CsatNobody,
    CsatHint,
    OffersTitle,
    OffersHint,
    OfferProduct,
    OfferLookAlikes,
    OfferTask,
    OffersAllTasks,
    OffersTooMany,
    TerritoryLayer,
    TerritoryLegendSum,
    TerritoryLegendMean,
    TerritoryNoSegment,
    LegendBelow,
    LegendOneClass,
    LegendFrom,
    // Segments
    SegChampions,
    SegLoyal,
    SegPotentialLoyalist,
    SegNew,
    SegPromising,
    SegNeedAttention,
    SegAboutToSleep,
    SegAtRisk,
    SegCantLose,
    SegHibernating,
    SegLost,
}

impl Text for AMsg {
    fn both(self) -> [&'static str; 2] {
        use AMsg::*;
        match self {
            Filters => ["Filter", "Saring"],
            From => ["From", "Dari"],
            To => ["To", "Sampai"],
            Territory => ["Territory", "Wilayah"],
            Rep => ["Sales rep", "Tenaga penjual"],
            Segment => ["Account segment", "Segmen akun"],
            Any => ["All", "Semua"],
            Print => ["Print", "Cetak"],
            Csv => ["CSV", "CSV"],
            Loading => ["Loading…", "Memuat…"],
            LoadFailed => ["Could not load this part.", "Bagian ini gagal dimuat."],
            NoData => [
                "No data for this filter.",
                "Tidak ada data untuk saringan ini.",
            ],
            Account => ["Account", "Akun"],
            Customers => ["Customers", "Pelanggan"],
            Value => ["Value", "Nilai"],
            Month => ["Month", "Bulan"],
            ScoringTitle => ["Lifetime value scoring", "Penilaian nilai seumur hidup"],
            ScoreNow => ["Score all customers now", "Nilai semua pelanggan sekarang"],
            JobRunning => ["Scoring customers…", "Menilai pelanggan…"],
            JobDone => ["Scores fitted on", "Skor dihitung per"],
            JobFailed => ["The last scoring failed:", "Penilaian terakhir gagal:"],
            JobNever => [
                "Customers have not been scored yet.",
                "Pelanggan belum pernah dinilai.",
            ],
            FailTooLittleData => [
                "too little order history to fit the models.",
                "riwayat pesanan terlalu sedikit untuk model.",
            ],
            FailCurrencies => [
                "the orders are in several currencies.",
                "pesanan memakai beberapa mata uang.",
            ],
            FailOther => ["an unexpected error.", "kesalahan tak terduga."],
            FailBusy => [
                "A scoring job is already running.",
                "Penilaian sedang berjalan.",
            ],
            RfmTitle => ["RFM segments", "Segmen RFM"],
            ParetoTitle => ["80/20: revenue and profit", "80/20: pendapatan dan laba"],
            Revenue => ["Revenue", "Pendapatan"],
            Profit => ["Profit", "Laba"],
            TopShareRevenue => [
                "Top 20 % of customers: share of revenue",
                "20 % pelanggan teratas: porsi pendapatan",
            ],
            TopShareProfit => [
                "Top 20 % of customers: share of profit",
                "20 % pelanggan teratas: porsi laba",
            ],
            CustomerShare => [
                "Customers, most valuable first",
                "Pelanggan, paling bernilai dahulu",
            ],
            ProfitTitle => [
                "Profitability with the cost to serve",
                "Profitabilitas dengan biaya layanan",
            ],
            CostOfGoods => ["Cost of goods", "Harga pokok"],
            GrossMargin => ["Gross margin", "Margin kotor"],
            VisitCost => ["Visits and travel", "Kunjungan dan perjalanan"],
            CaseCost => ["Cases", "Kasus"],
            CampaignCost => ["Campaigns", "Kampanye"],
            Acquisition => ["Acquisition", "Akuisisi"],
            LosingCustomers => ["Customers losing money", "Pelanggan yang merugi"],
            CampaignNote => [
                "Campaigns are not recorded yet: their cost is 0.",
                "Kampanye belum dicatat: biayanya 0.",
            ],
            CohortTitle => [
                "Retention by month of first purchase",
                "Retensi menurut bulan pembelian pertama",
            ],
            Cohort => ["Cohort", "Kohort"],
            MovementTitle => [
                "Customers gained, lost and won back",
                "Pelanggan baru, hilang dan kembali",
            ],
            Gained => ["Gained", "Baru"],
            Lost => ["Lost", "Hilang"],
            WonBack => ["Won back", "Kembali"],
            Active => ["Active", "Aktif"],
            TrendTitle => ["Revenue by month", "Pendapatan per bulan"],
            ByTerritory => ["By territory", "Per wilayah"],
            ByRep => ["By sales rep", "Per tenaga penjual"],
            ThisPeriod => ["This period", "Periode ini"],
            PreviousPeriod => ["Previous period", "Periode sebelumnya"],
            Change => ["Change", "Perubahan"],
            NoTerritory => ["No territory", "Tanpa wilayah"],
            NoOwner => ["No owner", "Tanpa pemilik"],
            CrossSellTitle => ["Bought together", "Sering dibeli bersama"],
            Buys => ["Who buys", "Yang membeli"],
            AlsoBuys => ["also buys", "juga membeli"],
            Support => ["Support", "Dukungan"],
            Confidence => ["Confidence", "Keyakinan"],
            Lift => ["Lift", "Lift"],
            UnusualTitle => ["Unusual orders", "Pesanan tidak biasa"],
            Order => ["Order", "Pesanan"],
            Date => ["Date", "Tanggal"],
            Amount => ["Amount", "Jumlah"],
            Score => ["Score", "Skor"],
            ClvTitle => ["Highest lifetime value", "Nilai seumur hidup tertinggi"],
            RiskTitle => [
                "Valuable customers at risk",
                "Pelanggan bernilai yang berisiko",
            ],
            PAlive => ["Still active", "Masih aktif"],
            ChurnRisk => ["Churn risk", "Risiko berhenti"],
            ExpectedPurchases => ["Expected purchases", "Pembelian diharapkan"],
            Clv => ["Lifetime value", "Nilai seumur hidup"],
            ValueAtRisk => ["Value at risk", "Nilai berisiko"],
            FittedOn => ["Fitted on", "Dihitung per"],
            MapTitle => ["On the map", "Di peta"],
            Metric => ["Weighted by", "Bobot"],
            MetricRevenue => ["Revenue", "Pendapatan"],
            MetricProfit => ["Profit after cost to serve", "Laba setelah biaya layanan"],
            MetricClv => ["Lifetime value", "Nilai seumur hidup"],
            MetricChurn => ["Churn risk", "Risiko berhenti"],
            MetricSegment => ["RFM segment", "Segmen RFM"],
            HeatLayer => ["Heat map", "Peta panas"],
            PointsLayer => ["Accounts", "Akun"],
            NearTitle => [
                "Valuable customers at risk near you",
                "Pelanggan bernilai berisiko di dekat Anda",
            ],
            NearHint => [
                "Near your position, around the map centre, or near the visits of today's route.",
                "Di dekat posisi Anda, di sekitar tengah peta, atau di dekat kunjungan rute hari ini.",
            ],
            NearMe => ["Near me", "Di dekat saya"],
            NearCentre => ["Map centre", "Tengah peta"],
            AlongRoute => ["Along today's route", "Sepanjang rute hari ini"],
            NoPosition => [
                "Your position is not available (permission refused or no location): searched around the map centre instead.",
                "Posisi Anda tidak tersedia (izin ditolak atau tanpa lokasi): dicari di sekitar tengah peta.",
            ],
            NoStops => [
                "No visits on today's route.",
                "Tidak ada kunjungan di rute hari ini.",
            ],
            NearStop => ["near", "dekat"],
            Distance => ["Distance", "Jarak"],
            AddVisit => ["Add visit", "Tambah kunjungan"],
            VisitAdded => [
                "Visit added for tomorrow",
                "Kunjungan ditambahkan untuk besok",
            ],
            VisitFailed => [
                "The visit could not be added",
                "Kunjungan gagal ditambahkan",
            ],
            AddTask => ["Add task", "Tambah tugas"],
            TaskAdded => ["Task added for today", "Tugas ditambahkan untuk hari ini"],
            TaskFailed => ["The task could not be added", "Tugas gagal ditambahkan"],
            TaskTitle => [
                "Visit the valuable customer at risk",
                "Kunjungi pelanggan bernilai yang berisiko",
            ],
            CsatTitle => ["Customer satisfaction", "Kepuasan pelanggan"],
            CsatAnswered => ["Answers", "Jawaban"],
            CsatMean => ["Average (1–5)", "Rata-rata (1–5)"],
            CsatShare => ["CSAT (4 or 5)", "CSAT (4 atau 5)"],
            CsatServedBy => ["Served by", "Dilayani oleh"],
            CsatNobody => ["Nobody assigned", "Tanpa petugas"],
            CsatHint => [
                "Surveys after cases resolved and visits done, answered by e-mail link or on the technician's tablet.",
                "Survei setelah kasus diselesaikan dan kunjungan selesai, dijawab lewat tautan surel atau di tablet teknisi.",
            ],
            OffersTitle => ["Products to offer", "Produk untuk ditawarkan"],
            OffersHint => [
                "For each customer, the product its look-alikes buy and it does not, most promising first.",
                "Untuk setiap pelanggan, produk yang dibeli pelanggan serupa tetapi belum dibelinya, yang paling menjanjikan lebih dulu.",
            ],
            OfferProduct => ["Product", "Produk"],
            OfferLookAlikes => ["Look-alikes buying it", "Pelanggan serupa yang membeli"],
            OfferTask => ["Offer", "Tawarkan"],
            OffersAllTasks => ["Add a task for each", "Tambah tugas untuk semuanya"],
            OffersTooMany => [
                "Too many customers for one list: choose a rep, a territory or a segment above.",
                "Terlalu banyak pelanggan untuk satu daftar: pilih tenaga penjual, wilayah, atau segmen di atas.",
            ],
            TerritoryLayer => ["Territories", "Wilayah"],
            TerritoryLegendSum => [
                "Territories: total of their customers",
                "Wilayah: jumlah dari pelanggannya",
            ],
            TerritoryLegendMean => [
                "Territories: average of their customers",
                "Wilayah: rata-rata pelanggannya",
            ],
            TerritoryNoSegment => [
                "Territories are shaded by a number: choose another measure.",
                "Wilayah diwarnai menurut angka: pilih ukuran lain.",
            ],
            LegendBelow => ["below", "di bawah"],
            LegendOneClass => ["all in one class", "semua dalam satu kelas"],
            LegendFrom => ["from", "mulai"],
            SegChampions => ["Champions", "Juara"],
            SegLoyal => ["Loyal", "Setia"],
            SegPotentialLoyalist => ["Potential loyalists", "Calon setia"],
            SegNew => ["New", "Baru"],
            SegPromising => ["Promising", "Menjanjikan"],
            SegNeedAttention => ["Need attention", "Perlu perhatian"],
            SegAboutToSleep => ["About to sleep", "Hampir tertidur"],
            SegAtRisk => ["At risk", "Berisiko"],
            SegCantLose => ["Can't lose them", "Jangan sampai hilang"],
            SegHibernating => ["Hibernating", "Tertidur"],
            SegLost => ["Lost", "Hilang"],
        }
    }
}

/// The text of an RFM segment code as the API sends it.
pub fn segment_msg(code: &str) -> Option<AMsg> {
    use AMsg::*;
    Some(match code {
        "champions" => SegChampions,
        "loyal" => SegLoyal,
        "potential_loyalist" => SegPotentialLoyalist,
        "new" => SegNew,
        "promising" => SegPromising,
        "need_attention" => SegNeedAttention,
        "about_to_sleep" => SegAboutToSleep,
        "at_risk" => SegAtRisk,
        "cant_lose" => SegCantLose,
        "hibernating" => SegHibernating,
        "lost" => SegLost,
        _ => return None,
    })
}

/// Colour of an RFM segment, from best (green) to lost (grey).
pub fn segment_colour(code: &str) -> &'static str {
    match code {
        "champions" => "#1b7f3b",
        "loyal" => "#37b24d",
        "potential_loyalist" => "#74b816",
        "new" => "#1c7ed6",
        "promising" => "#4dabf7",
        "need_attention" => "#fab005",
        "about_to_sleep" => "#f59f00",
        "at_risk" => "#f76707",
        "cant_lose" => "#e03131",
        "hibernating" => "#868e96",
        _ => "#adb5bd",
    }
}

/// A decimal in the language's notation (Indonesian decimal comma).
pub fn decimal(value: f64, digits: usize, locale: Locale) -> String {
    let text = format!("{value:.digits$}");
    match locale {
        Locale::En => text,
        Locale::Id => text.replace('.', ","),
    }
}

/// A share as a percentage: `42 %`.
pub fn percent(share: f64, locale: Locale) -> String {
    format!("{} %", decimal(share * 100.0, 0, locale))
}

fn int(v: &Value) -> i64 {
    v.as_i64()
        .or_else(|| v.as_f64().map(|f| f.round() as i64))
        .unwrap_or(0)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The page's filter, as the query parameters the analytics routes take.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filter {
    from: String,
    to: String,
    territory: String,
    rep: String,
    segment: String,
}

impl Filter {
    /// `&territory_id=…&owner_id=…&account_segment=…` for the parts that are set.
    fn scope(&self) -> String {
        let mut q = String::new();
        for (key, value) in [
            ("territory_id", &self.territory),
            ("owner_id", &self.rep),
            ("account_segment", &self.segment),
        ] {
            if !value.is_empty() {
                q.push_str(&format!("&{key}={}", encode(value)));
            }
        }
        q
    }

    /// `&from=…&to=…` for the parts that are set.
    fn period(&self) -> String {
        let mut q = String::new();
        for (key, value) in [("from", &self.from), ("to", &self.to)] {
            if !value.is_empty() {
                q.push_str(&format!("&{key}={value}"));
            }
        }
        q
    }
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// One dataset of the page: not asked yet / loading (`None`), or the answer.
type Slot = RwSignal<Option<Result<Value, ()>>>;

/// The page's state.
#[derive(Clone, Copy)]
struct Page {
    filter: RwSignal<Filter>,
    trend_by_rep: RwSignal<bool>,
    options: RwSignal<Option<wilayah_shared::dashboard::FilterOptions>>,
    rfm: Slot,
    pareto: Slot,
    profit: Slot,
    cohorts: Slot,
    trend: Slot,
    cross_sell: Slot,
    offers: Slot,
    csat: Slot,
    unusual: Slot,
    clv: Slot,
    at_risk: Slot,
    job: Slot,
    busy: RwSignal<bool>,
}

/// The URL of each dataset for a filter (CSV links use the same with `format=csv`).
fn urls(f: &Filter, trend_by_rep: bool) -> [(&'static str, String); 11] {
    let scope = f.scope();
    let period = f.period();
    let as_of = if f.to.is_empty() {
        String::new()
    } else {
        format!("&as_of={}", f.to)
    };
    let group = if trend_by_rep { "owner" } else { "territory" };
    [
        (
            "rfm",
            format!("/api/v1/analytics/rfm?limit=1{as_of}{scope}"),
        ),
        (
            "pareto",
            format!("/api/v1/analytics/pareto?measure=revenue{period}{scope}"),
        ),
        (
            "profit",
            format!("/api/v1/analytics/profitability?limit=10{period}{scope}"),
        ),
        (
            "cohorts",
            format!("/api/v1/analytics/cohorts?{period}{scope}").replacen("?&", "?", 1),
        ),
        (
            "trend",
            format!("/api/v1/analytics/revenue-trend?group={group}{period}{scope}"),
        ),
        (
            "cross_sell",
            format!("/api/v1/analytics/cross-sell?limit=10{scope}"),
        ),
        (
            "offers",
            format!("/api/v1/analytics/offers?limit=10{scope}"),
        ),
        (
            "csat",
            format!("/api/v1/surveys/results?group=staff{period}"),
        ),
        (
            "unusual",
            format!("/api/v1/analytics/unusual-orders?limit=10{period}{scope}"),
        ),
        (
            "clv",
            format!("/api/v1/analytics/scores?order=clv&limit=10{scope}"),
        ),
        (
            "at_risk",
            format!("/api/v1/analytics/scores?order=at_risk&limit=10{scope}"),
        ),
    ]
}

/// `url` with `format=csv` (and without the page's short `limit`).
fn csv_url(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("limit=") && !p.starts_with("x="))
        .collect();
    let mut out = format!("{path}?format=csv&limit=10000");
    for p in kept {
        out.push('&');
        out.push_str(p);
    }
    out
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let slot = || RwSignal::new(None);
    let page = Page {
        filter: RwSignal::new(Filter::default()),
        trend_by_rep: RwSignal::new(false),
        options: RwSignal::new(None),
        rfm: slot(),
        pareto: slot(),
        profit: slot(),
        cohorts: slot(),
        trend: slot(),
        cross_sell: slot(),
        offers: slot(),
        csat: slot(),
        unusual: slot(),
        clv: slot(),
        at_risk: slot(),
        job: slot(),
        busy: RwSignal::new(false),
    };
    #[cfg(feature = "hydrate")]
    browser::start(page);
    leptos_meta::provide_meta_context();
    view! {
        <leptos_meta::Stylesheet href="/analytics.css" />
        <div class="analytics" data-testid="analytics-page">
            <Header title=Msg::NavAnalytics />
            <main class="analytics-main">
                <FilterBar page />
                <ScoringPanel page />
                <div class="analytics-grid">
                    <RfmSection page />
                    <ParetoSection page />
                    <ProfitSection page />
                    <TrendSection page />
                    <CohortSection page />
                    <MovementSection page />
                    <ScoreList page at_risk=false />
                    <ScoreList page at_risk=true />
                    <CrossSellSection page />
                    <OffersSection page />
                    <CsatSection page />
                    <UnusualSection page />
                </div>
                <MapSection page />
            </main>
        </div>
    }
}

/// A section's frame: title, CSV link, and its body once the data is there.
fn section<V: IntoView + 'static>(
    id: &'static str,
    title: AMsg,
    data: Slot,
    csv: Option<Signal<String>>,
    body: impl Fn(&Value) -> V + Send + Sync + 'static,
) -> impl IntoView {
    let csv = csv.map(|href| {
        view! {
            <a class="csv-link" href=move || href.get() data-testid=format!("csv-{id}")>
                {tr(AMsg::Csv)}
            </a>
        }
    });
    view! {
        <section class="panel analytics-section" data-testid=format!("section-{id}")>
            <div class="section-head">
                <h2>{tr(title)}</h2>
                {csv}
            </div>
            {move || match data.get() {
                None => view! { <p class="muted">{tr(AMsg::Loading)}</p> }.into_any(),
                Some(Err(())) => view! { <p class="error">{tr(AMsg::LoadFailed)}</p> }.into_any(),
                Some(Ok(v)) => body(&v).into_any(),
            }}
        </section>
    }
}

fn csv_signal(page: Page, key: &'static str) -> Signal<String> {
    Signal::derive(move || {
        let f = page.filter.get();
        let by_rep = page.trend_by_rep.get();
        urls(&f, by_rep)
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, u)| csv_url(u))
            .unwrap_or_default()
    })
}

#[component]
fn FilterBar(page: Page) -> impl IntoView {
    let filter = page.filter;
    let set = move |edit: fn(&mut Filter, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            filter.update(|f| edit(f, value));
        }
    };
    let named_options =
        move |pick: fn(&wilayah_shared::dashboard::FilterOptions) -> Vec<(String, String)>| {
            move || {
                page.options
                    .get()
                    .map(|o| pick(&o))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(value, label)| view! { <option value=value>{label}</option> })
                    .collect_view()
            }
        };
    let territories = named_options(|o| {
        o.territories
            .iter()
            .map(|n| (n.id.to_string(), n.name.clone()))
            .collect()
    });
    let reps = named_options(|o| {
        o.reps
            .iter()
            .map(|n| (n.id.to_string(), n.name.clone()))
            .collect()
    });
    let segments = named_options(|o| o.segments.iter().map(|s| (s.clone(), s.clone())).collect());
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <section class="panel analytics-filters" data-testid="analytics-filters">
            <h2>{tr(AMsg::Filters)}</h2>
            <div class="analytics-filter-row">
                <label class="filter">
                    <span>{tr(AMsg::From)}</span>
                    <input type="date" data-testid="filter-from" on:change=set(|f, v| f.from = v) />
                </label>
                <label class="filter">
                    <span>{tr(AMsg::To)}</span>
                    <input type="date" data-testid="filter-to" on:change=set(|f, v| f.to = v) />
                </label>
                <label class="filter">
                    <span>{tr(AMsg::Territory)}</span>
                    <select data-testid="filter-territory" on:change=set(|f, v| f.territory = v)>
                        <option value="">{tr(AMsg::Any)}</option>
                        {territories}
                    </select>
                </label>
                <label class="filter">
                    <span>{tr(AMsg::Rep)}</span>
                    <select data-testid="filter-rep" on:change=set(|f, v| f.rep = v)>
                        <option value="">{tr(AMsg::Any)}</option>
                        {reps}
                    </select>
                </label>
                <label class="filter">
                    <span>{tr(AMsg::Segment)}</span>
                    <select data-testid="filter-segment" on:change=set(|f, v| f.segment = v)>
                        <option value="">{tr(AMsg::Any)}</option>
                        {segments}
                    </select>
                </label>
                <button class="action print-button" on:click=print>
                    {tr(AMsg::Print)}
                </button>
            </div>
        </section>
    }
}

#[component]
fn ScoringPanel(page: Page) -> impl IntoView {
    let locale = use_locale();
    let may_start = crate::use_signed_in()
        .is_some_and(|c| c.may("analytics", wilayah_shared::access::Action::Create));
    let status = move || {
        let job = page.job.get();
        let Some(Ok(v)) = job else {
            return view! { <p class="muted">{tr(AMsg::Loading)}</p> }.into_any();
        };
        let job = &v["job"];
        if job.is_null() {
            return view! { <p data-testid="job-status">{tr(AMsg::JobNever)}</p> }.into_any();
        }
        let (done, total) = (int(&job["done"]), int(&job["total"]));
        match job["status"].as_str() {
            Some("running") => {
                let share = if total > 0 { done as f64 / total as f64 } else { 0.0 };
                view! {
                    <div data-testid="job-status" data-status="running">
                        <p>{tr(AMsg::JobRunning)} " " {format!("{done} / {total}")}</p>
                        <progress max=total.max(1) value=done></progress>
                        <span class="muted">{percent(share, locale.get())}</span>
                    </div>
                }
                .into_any()
            }
            Some("done") => view! {
                <p data-testid="job-status" data-status="done">
                    {tr(AMsg::JobDone)} " " {text(&job["calibration_end"])} " · "
                    {format!("{total}")} " " {move || AMsg::Customers.text(locale.get()).to_lowercase()}
                </p>
            }
            .into_any(),
            _ => {
                let error = text(&job["error"]);
                let reason = if error.contains("too little data") {
                    AMsg::FailTooLittleData
                } else if error.contains("currencies") {
                    AMsg::FailCurrencies
                } else {
                    AMsg::FailOther
                };
                view! {
                    <p data-testid="job-status" data-status="failed" class="error">
                        {tr(AMsg::JobFailed)} " " {tr(reason)}
                    </p>
                }
                .into_any()
            }
        }
    };
    let running = move || {
        matches!(page.job.get(), Some(Ok(v)) if v["job"]["status"] == "running") || page.busy.get()
    };
    let start = move |_| {
        #[cfg(feature = "hydrate")]
        browser::start_scoring(page);
    };
    let button = may_start.then(|| {
        view! {
            <button class="action" data-testid="score-now" disabled=running on:click=start>
                {tr(AMsg::ScoreNow)}
            </button>
        }
    });
    view! {
        <section class="panel analytics-job" data-testid="scoring-panel">
            <h2>{tr(AMsg::ScoringTitle)}</h2>
            {status}
            {button}
        </section>
    }
}

// ---- charts ---------------------------------------------------------------------------------

const CHART_W: f64 = 560.0;
const CHART_H: f64 = 220.0;
const PAD_L: f64 = 44.0;
const PAD_B: f64 = 26.0;

/// Cumulative curves over the customer share (x in 0..1), y as a share of each curve's total;
/// the y range grows to hold a whale curve that peaks above 100 %.
fn curves_svg(curves: Vec<(Vec<(f64, f64)>, &'static str)>, locale: Locale) -> impl IntoView {
    let top = curves
        .iter()
        .flat_map(|(points, _)| points.iter().map(|p| p.1))
        .fold(1.0f64, f64::max);
    let bottom = curves
        .iter()
        .flat_map(|(points, _)| points.iter().map(|p| p.1))
        .fold(0.0f64, f64::min);
    let (w, h) = (CHART_W - PAD_L - 8.0, CHART_H - PAD_B - 8.0);
    let x = move |v: f64| PAD_L + v * w;
    let y = move |v: f64| 8.0 + (top - v) / (top - bottom).max(1e-9) * h;
    let lines = curves
        .into_iter()
        .map(|(points, class)| {
            let d = points
                .iter()
                .map(|(a, b)| format!("{:.1},{:.1}", x(*a), y(*b)))
                .collect::<Vec<_>>()
                .join(" ");
            view! { <polyline class=format!("curve {class}") points=d /> }
        })
        .collect_view();
    let grid = [0.0, 0.5, 1.0]
        .into_iter()
        .map(|v| {
            view! {
                <line class="grid" x1=PAD_L x2=CHART_W - 8.0 y1=y(v) y2=y(v) />
                <text class="axis" x=PAD_L - 4.0 y=y(v) + 4.0 text-anchor="end">{percent(v, locale)}</text>
            }
        })
        .collect_view();
    view! {
        <svg class="chart" viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img">
            {grid}
            <line class="marker" x1=x(0.2) x2=x(0.2) y1=8.0 y2=CHART_H - PAD_B />
            <text class="axis" x=x(0.2) y=CHART_H - 8.0 text-anchor="middle">"20 %"</text>
            <text class="axis" x=x(1.0) y=CHART_H - 8.0 text-anchor="end">"100 %"</text>
            {lines}
        </svg>
    }
}

/// Horizontal bars: label, value, colour, shown text.
fn bars_svg(rows: Vec<(String, f64, &'static str, String)>) -> impl IntoView {
    let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(1e-9);
    let row_h = 20.0;
    let label_w = 150.0;
    let height = rows.len() as f64 * row_h + 4.0;
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, colour, shown))| {
            let y = 2.0 + i as f64 * row_h;
            let width = (value / max * (CHART_W - label_w - 90.0)).max(0.0);
            view! {
                <text class="axis" x=label_w - 6.0 y=y + 14.0 text-anchor="end">{label}</text>
                <rect x=label_w y=y + 3.0 width=width height=row_h - 6.0 fill=colour rx=2 />
                <text class="axis" x=label_w + width + 4.0 y=y + 14.0>{shown}</text>
            }
        })
        .collect_view();
    view! {
        <svg class="chart" viewBox=format!("0 0 {CHART_W} {height}") role="img">
            {bars}
        </svg>
    }
}

/// Lines of monthly values, one per series, with the months along the bottom.
fn months_svg(months: Vec<String>, series: Vec<(String, Vec<f64>, &'static str)>) -> impl IntoView {
    let n = months.len().max(1);
    let max = series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let min = series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .fold(0.0f64, f64::min);
    let (w, h) = (CHART_W - PAD_L - 8.0, CHART_H - PAD_B - 8.0);
    let x = move |i: usize| {
        PAD_L
            + if n == 1 {
                w / 2.0
            } else {
                i as f64 / (n - 1) as f64 * w
            }
    };
    let y = move |v: f64| 8.0 + (max - v) / (max - min).max(1e-9) * h;
    let step = n.div_ceil(6).max(1);
    let labels = months
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, m)| {
            view! { <text class="axis" x=x(i) y=CHART_H - 8.0 text-anchor="middle">{m.get(..7).unwrap_or(m).to_owned()}</text> }
        })
        .collect_view();
    let lines = series
        .into_iter()
        .map(|(name, values, colour)| {
            let d = values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
                .collect::<Vec<_>>()
                .join(" ");
            view! { <polyline class="curve" stroke=colour points=d><title>{name}</title></polyline> }
        })
        .collect_view();
    view! {
        <svg class="chart" viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img">
            <line class="grid" x1=PAD_L x2=CHART_W - 8.0 y1=y(0.0) y2=y(0.0) />
            {labels}
            {lines}
        </svg>
    }
}

const SERIES_COLOURS: [&str; 8] = [
    "#0f766e", "#1c7ed6", "#f76707", "#ae3ec9", "#e03131", "#74b816", "#495057", "#fab005",
];

// ---- sections -------------------------------------------------------------------------------

#[component]
fn RfmSection(page: Page) -> impl IntoView {
    let locale = use_locale();
    section(
        "rfm",
        AMsg::RfmTitle,
        page.rfm,
        Some(csv_signal(page, "rfm")),
        move |v| {
            let currency = text(&v["currency"]);
            let segments = v["segments"].as_array().cloned().unwrap_or_default();
            if int(&v["customers"]) == 0 {
                return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
            }
            let l = locale.get();
            let name =
                |code: &str| segment_msg(code).map_or(String::new(), |m| m.text(l).to_owned());
            let bars = bars_svg(
                segments
                    .iter()
                    .map(|s| {
                        let code = text(&s["segment"]);
                        (
                            name(&code),
                            num(&s["customers"]),
                            segment_colour(&code),
                            int(&s["customers"]).to_string(),
                        )
                    })
                    .collect(),
            );
            let rows = segments
                .iter()
                .map(|s| {
                    let code = text(&s["segment"]);
                    view! {
                        <tr data-segment=code.clone()>
                            <td><span class="dot" style=format!("background:{}", segment_colour(&code))></span> " " {name(&code)}</td>
                            <td class="num">{int(&s["customers"])}</td>
                            <td class="num">{format_money_short(int(&s["value_minor"]), &currency)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="chart-and-table">
                    {bars}
                    <table class="data">
                        <thead><tr><th>{tr(AMsg::Segment)}</th><th class="num">{tr(AMsg::Customers)}</th><th class="num">{tr(AMsg::Value)}</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any()
        },
    )
}

/// Points of a curve answer as (customer share, cumulative share of the total).
fn curve_points(curve: &Value) -> Vec<(f64, f64)> {
    let total = num(&curve["total_minor"]);
    curve["points"]
        .as_array()
        .map(|points| {
            points
                .iter()
                .map(|p| {
                    let c = num(&p["cumulative_minor"]);
                    (
                        num(&p["customer_share"]),
                        if total.abs() > 0.0 {
                            c / total.abs()
                        } else {
                            0.0
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[component]
fn ParetoSection(page: Page) -> impl IntoView {
    let locale = use_locale();
    view! {
        <section class="panel analytics-section" data-testid="section-pareto">
            <div class="section-head"><h2>{tr(AMsg::ParetoTitle)}</h2></div>
            {move || {
                let (Some(Ok(revenue)), Some(Ok(profit))) = (page.pareto.get(), page.profit.get()) else {
                    let failed = matches!(page.pareto.get(), Some(Err(()))) || matches!(page.profit.get(), Some(Err(())));
                    return if failed {
                        view! { <p class="error">{tr(AMsg::LoadFailed)}</p> }.into_any()
                    } else {
                        view! { <p class="muted">{tr(AMsg::Loading)}</p> }.into_any()
                    };
                };
                if int(&revenue["customers"]) == 0 {
                    return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
                }
                let l = locale.get();
                let whale = &profit["whale"];
                let share = |v: &Value| v.as_f64().map_or("–".to_owned(), |s| percent(s, l));
                view! {
                    <div class="chart-and-table">
                        {curves_svg(vec![(curve_points(&revenue), "revenue"), (curve_points(whale), "profit")], l)}
                        <table class="data">
                            <tbody>
                                <tr><td><span class="key revenue"></span> {tr(AMsg::TopShareRevenue)}</td><td class="num" data-testid="top-share-revenue">{share(&revenue["top_share"])}</td></tr>
                                <tr><td><span class="key profit"></span> {tr(AMsg::TopShareProfit)}</td><td class="num" data-testid="top-share-profit">{share(&whale["top_share"])}</td></tr>
                                <tr><td>{tr(AMsg::Customers)}</td><td class="num">{int(&revenue["customers"])}</td></tr>
                            </tbody>
                        </table>
                    </div>
                    <p class="muted small">{tr(AMsg::CustomerShare)}</p>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn ProfitSection(page: Page) -> impl IntoView {
    section(
        "profit",
        AMsg::ProfitTitle,
        page.profit,
        Some(csv_signal(page, "profit")),
        move |v| {
            let currency = text(&v["currency"]);
            if int(&v["customers"]) == 0 {
                return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
            }
            let money = |x: &Value| format_money_short(int(x), &currency);
            let t = &v["total"];
            let rows = v["accounts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|a| {
                    let serve = int(&a["visit_cost_minor"])
                        + int(&a["case_cost_minor"])
                        + int(&a["campaign_cost_minor"])
                        + int(&a["acquisition_cost_minor"]);
                    let loss = int(&a["profit_minor"]) < 0;
                    view! {
                        <tr class:loss=loss>
                            <td>{text(&a["name"])}</td>
                            <td class="num">{money(&a["revenue_minor"])}</td>
                            <td class="num">{format_money_short(serve, &currency)}</td>
                            <td class="num">{money(&a["profit_minor"])}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="chart-and-table">
                    <Waterfall figures=t.clone() currency=currency.clone() />
                    <table class="data">
                        <thead><tr><th>{tr(AMsg::Account)}</th><th class="num">{tr(AMsg::Revenue)}</th><th class="num">{tr(AMsg::VisitCost)}</th><th class="num">{tr(AMsg::Profit)}</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <p class="small">{tr(AMsg::LosingCustomers)} ": " <strong data-testid="losing-customers">{int(&v["losing_customers"])}</strong> " / " {int(&v["customers"])}</p>
                <p class="muted small">{tr(AMsg::CampaignNote)}</p>
            }
            .into_any()
        },
    )
}

/// The waterfall from revenue to profit of a waterfall answer (`*_minor` fields).
#[component]
fn Waterfall(figures: Value, currency: String) -> impl IntoView {
    let steps: [(AMsg, &str, bool); 8] = [
        (AMsg::Revenue, "revenue_minor", true),
        (AMsg::CostOfGoods, "cost_of_goods_minor", false),
        (AMsg::GrossMargin, "gross_margin_minor", true),
        (AMsg::VisitCost, "visit_cost_minor", false),
        (AMsg::CaseCost, "case_cost_minor", false),
        (AMsg::CampaignCost, "campaign_cost_minor", false),
        (AMsg::Acquisition, "acquisition_cost_minor", false),
        (AMsg::Profit, "profit_minor", true),
    ];
    let locale = use_locale();
    let values: Vec<i64> = steps.iter().map(|s| int(&figures[s.1])).collect();
    // Running level: totals stand on 0, costs hang from the level before them.
    let mut level = 0i64;
    let mut bars = Vec::new();
    for (i, (_, _, total)) in steps.iter().enumerate() {
        let v = values[i];
        let (from, to) = if *total {
            level = v;
            (0, v)
        } else {
            let before = level;
            level -= v;
            (before, level)
        };
        bars.push((from, to, *total));
    }
    let hi = bars.iter().map(|b| b.0.max(b.1)).max().unwrap_or(0).max(1) as f64;
    let lo = bars.iter().map(|b| b.0.min(b.1)).min().unwrap_or(0).min(0) as f64;
    let (h, top) = (CHART_H - 60.0, 10.0);
    let y = move |v: f64| top + (hi - v) / (hi - lo) * h;
    let slot = (CHART_W - 10.0) / steps.len() as f64;
    let view_bars = bars
        .into_iter()
        .enumerate()
        .map(|(i, (from, to, total))| {
            let (a, b) = (y(from as f64), y(to as f64));
            let class = if total {
                if to < 0 { "wf total negative" } else { "wf total" }
            } else {
                "wf cost"
            };
            let x = 5.0 + i as f64 * slot + 4.0;
            let label = steps[i].0;
            let value = format_money_short(values[i], &currency);
            view! {
                <rect class=class x=x y=a.min(b) width=slot - 8.0 height=(a - b).abs().max(1.0) />
                <text class="axis" x=x + (slot - 8.0) / 2.0 y=CHART_H - 34.0 text-anchor="middle">{move || label.text(locale.get())}</text>
                <text class="axis value" x=x + (slot - 8.0) / 2.0 y=CHART_H - 20.0 text-anchor="middle">{value}</text>
            }
        })
        .collect_view();
    view! {
        <svg class="chart waterfall" viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img" data-testid="waterfall">
            <line class="grid" x1=5.0 x2=CHART_W - 5.0 y1=y(0.0) y2=y(0.0) />
            {view_bars}
        </svg>
    }
}

#[component]
fn TrendSection(page: Page) -> impl IntoView {
    let locale = use_locale();
    let toggle = move |by_rep: bool| move |_| page.trend_by_rep.set(by_rep);
    let body = move |v: &Value| {
        let l = locale.get();
        let currency = text(&v["currency"]);
        let by_rep = v["group"] == "owner";
        let groups = v["groups"].as_array().cloned().unwrap_or_default();
        if groups.is_empty() {
            return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
        }
        let options = page.options.get().unwrap_or_default();
        let name_of = |id: &Value| -> String {
            let list = if by_rep {
                &options.reps
            } else {
                &options.territories
            };
            match id.as_i64() {
                Some(id) => list
                    .iter()
                    .find(|n| n.id == id)
                    .map_or_else(|| format!("#{id}"), |n| n.name.clone()),
                None => if by_rep {
                    AMsg::NoOwner
                } else {
                    AMsg::NoTerritory
                }
                .text(l)
                .to_owned(),
            }
        };
        let months: Vec<String> = groups[0]["months"]
            .as_array()
            .map(|m| m.iter().map(|x| text(&x["month"])).collect())
            .unwrap_or_default();
        let series = groups
            .iter()
            .take(SERIES_COLOURS.len())
            .enumerate()
            .map(|(i, g)| {
                let values = g["months"]
                    .as_array()
                    .map(|m| m.iter().map(|x| num(&x["revenue_minor"])).collect())
                    .unwrap_or_default();
                (name_of(&g["group_id"]), values, SERIES_COLOURS[i])
            })
            .collect();
        let rows = groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let colour = SERIES_COLOURS.get(i).copied().unwrap_or("#adb5bd");
                let change = g["change_ratio"]
                    .as_f64()
                    .map_or("–".to_owned(), |r| format!("{}{}", if r > 0.0 { "+" } else { "" }, percent(r, l)));
                view! {
                    <tr>
                        <td><span class="dot" style=format!("background:{colour}")></span> " " {name_of(&g["group_id"])}</td>
                        <td class="num">{format_money_short(int(&g["revenue_minor"]), &currency)}</td>
                        <td class="num">{format_money_short(int(&g["previous_period_minor"]), &currency)}</td>
                        <td class="num">{change}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="chart-and-table">
                {months_svg(months, series)}
                <table class="data">
                    <thead><tr><th></th><th class="num">{tr(AMsg::ThisPeriod)}</th><th class="num">{tr(AMsg::PreviousPeriod)}</th><th class="num">{tr(AMsg::Change)}</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="panel analytics-section" data-testid="section-trend">
            <div class="section-head">
                <h2>{tr(AMsg::TrendTitle)}</h2>
                <div class="segmented">
                    <button class="action" class:current=move || !page.trend_by_rep.get() on:click=toggle(false)>{tr(AMsg::ByTerritory)}</button>
                    <button class="action" class:current=move || page.trend_by_rep.get() on:click=toggle(true)>{tr(AMsg::ByRep)}</button>
                </div>
            </div>
            {move || match page.trend.get() {
                None => view! { <p class="muted">{tr(AMsg::Loading)}</p> }.into_any(),
                Some(Err(())) => view! { <p class="error">{tr(AMsg::LoadFailed)}</p> }.into_any(),
                Some(Ok(v)) => body(&v),
            }}
        </section>
    }
}

#[component]
fn CohortSection(page: Page) -> impl IntoView {
    let locale = use_locale();
    section("cohorts", AMsg::CohortTitle, page.cohorts, None, move |v| {
        let l = locale.get();
        let cohorts = v["cohorts"].as_array().cloned().unwrap_or_default();
        if cohorts.is_empty() {
            return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
        }
        let width = cohorts
            .iter()
            .map(|c| c["retention"].as_array().map_or(0, Vec::len))
            .max()
            .unwrap_or(0)
            .min(13);
        let head = (1..width)
            .map(|k| view! { <th class="num">{format!("+{k}")}</th> })
            .collect_view();
        let rows = cohorts
            .iter()
            .map(|c| {
                let cells = (1..width)
                    .map(|k| match c["retention"].get(k).and_then(Value::as_f64) {
                        Some(r) => view! {
                            <td class="num heat" style=format!("background: rgba(15, 118, 110, {:.2})", r.min(1.0) * 0.85)>
                                {percent(r, l)}
                            </td>
                        }
                        .into_any(),
                        None => view! { <td></td> }.into_any(),
                    })
                    .collect_view();
                view! {
                    <tr>
                        <td>{text(&c["month"]).get(..7).unwrap_or_default().to_owned()}</td>
                        <td class="num">{int(&c["customers"])}</td>
                        {cells}
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table class="data cohorts" data-testid="cohort-table">
                    <thead><tr><th>{tr(AMsg::Cohort)}</th><th class="num">{tr(AMsg::Customers)}</th>{head}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    })
}

#[component]
fn MovementSection(page: Page) -> impl IntoView {
    section(
        "movement",
        AMsg::MovementTitle,
        page.cohorts,
        None,
        move |v| {
            let movement = v["movement"].as_array().cloned().unwrap_or_default();
            if movement.is_empty() {
                return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
            }
            let currency = text(&v["currency"]);
            let months: Vec<String> = movement.iter().map(|m| text(&m["month"])).collect();
            let series_of = |key: &str| movement.iter().map(|m| num(&m[key])).collect::<Vec<f64>>();
            let locale = use_locale().get();
            let series = vec![
                (
                    AMsg::Gained.text(locale).to_owned(),
                    series_of("gained"),
                    "#1b7f3b",
                ),
                (
                    AMsg::Lost.text(locale).to_owned(),
                    series_of("lost"),
                    "#e03131",
                ),
                (
                    AMsg::WonBack.text(locale).to_owned(),
                    series_of("won_back"),
                    "#1c7ed6",
                ),
            ];
            let rows = movement
            .iter()
            .rev()
            .take(12)
            .map(|m| {
                view! {
                    <tr>
                        <td>{text(&m["month"]).get(..7).unwrap_or_default().to_owned()}</td>
                        <td class="num">{int(&m["gained"])}</td>
                        <td class="num">{int(&m["lost"])}</td>
                        <td class="num">{int(&m["won_back"])}</td>
                        <td class="num">{int(&m["active_at_end"])}</td>
                        <td class="num">{format_money_short(int(&m["revenue_minor"]), &currency)}</td>
                    </tr>
                }
            })
            .collect_view();
            view! {
            <div class="chart-and-table">
                {months_svg(months, series)}
                <div class="legend-row">
                    <span><span class="dot" style="background:#1b7f3b"></span> {tr(AMsg::Gained)}</span>
                    <span><span class="dot" style="background:#e03131"></span> {tr(AMsg::Lost)}</span>
                    <span><span class="dot" style="background:#1c7ed6"></span> {tr(AMsg::WonBack)}</span>
                </div>
                <table class="data" data-testid="movement-table">
                    <thead><tr><th>{tr(AMsg::Month)}</th><th class="num">{tr(AMsg::Gained)}</th><th class="num">{tr(AMsg::Lost)}</th><th class="num">{tr(AMsg::WonBack)}</th><th class="num">{tr(AMsg::Active)}</th><th class="num">{tr(AMsg::Revenue)}</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
        },
    )
}

#[component]
fn ScoreList(page: Page, at_risk: bool) -> impl IntoView {
    let locale = use_locale();
    let (id, title, data) = if at_risk {
        ("at_risk", AMsg::RiskTitle, page.at_risk)
    } else {
        ("clv", AMsg::ClvTitle, page.clv)
    };
    section(id, title, data, Some(csv_signal(page, id)), move |v| {
        let l = locale.get();
        let accounts = v["accounts"].as_array().cloned().unwrap_or_default();
        if accounts.is_empty() {
            return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
        }
        let rows = accounts
            .iter()
            .map(|a| {
                let currency = text(&a["currency"]);
                let main = if at_risk {
                    format_money_short(int(&a["value_at_risk_minor"]), &currency)
                } else {
                    format_money_short(int(&a["clv_minor"]), &currency)
                };
                view! {
                    <tr>
                        <td>{text(&a["name"])}</td>
                        <td class="num">{percent(num(&a["churn_risk"]), l)}</td>
                        <td class="num">{decimal(num(&a["expected_purchases"]), 1, l)}</td>
                        <td class="num">{main}</td>
                    </tr>
                }
            })
            .collect_view();
        let last = if at_risk {
            AMsg::ValueAtRisk
        } else {
            AMsg::Clv
        };
        view! {
            <table class="data">
                <thead><tr><th>{tr(AMsg::Account)}</th><th class="num">{tr(AMsg::ChurnRisk)}</th><th class="num">{tr(AMsg::ExpectedPurchases)}</th><th class="num">{tr(last)}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="muted small">{tr(AMsg::FittedOn)} " " {text(&v["fitted_on"])}</p>
        }
        .into_any()
    })
}

#[component]
fn CrossSellSection(page: Page) -> impl IntoView {
    let locale = use_locale();
    section(
        "cross_sell",
        AMsg::CrossSellTitle,
        page.cross_sell,
        Some(csv_signal(page, "cross_sell")),
        move |v| {
            let l = locale.get();
            let rules = v["rules"].as_array().cloned().unwrap_or_default();
            if rules.is_empty() {
                return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
            }
            let rows = rules
                .iter()
                .map(|r| {
                    let skus: Vec<String> = r["antecedent_skus"]
                        .as_array()
                        .map(|a| a.iter().map(text).collect())
                        .unwrap_or_default();
                    view! {
                        <tr>
                            <td>{skus.join(" + ")}</td>
                            <td>{text(&r["consequent_sku"])}</td>
                            <td class="num">{percent(num(&r["support"]), l)}</td>
                            <td class="num">{percent(num(&r["confidence"]), l)}</td>
                            <td class="num">{decimal(num(&r["lift"]), 2, l)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="data">
                    <thead><tr><th>{tr(AMsg::Buys)}</th><th>{tr(AMsg::AlsoBuys)}</th><th class="num">{tr(AMsg::Support)}</th><th class="num">{tr(AMsg::Confidence)}</th><th class="num">{tr(AMsg::Lift)}</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        },
    )
}

/// Customer satisfaction from the surveys (`GET /surveys/results`): overall, and per staff
/// member who served.
#[component]
fn CsatSection(page: Page) -> impl IntoView {
    let locale = use_locale();
    section("csat", AMsg::CsatTitle, page.csat, None, move |v| {
        let l = locale.get();
        let Some(overall) = v["overall"].as_object().cloned() else {
            return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
        };
        let rows = v["groups"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|g| {
                let name = g["name"].as_str().map(str::to_owned);
                view! {
                    <tr data-testid="csat-row">
                        <td>{move || name.clone().unwrap_or_else(|| AMsg::CsatNobody.text(l).to_owned())}</td>
                        <td class="num">{int(&g["answered"])}</td>
                        <td class="num">{decimal(num(&g["mean"]), 1, l)}</td>
                        <td class="num">{percent(num(&g["csat"]), l)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p class="muted small">{tr(AMsg::CsatHint)}</p>
            <p class="csat-overall" data-testid="csat-overall">
                <strong>{percent(num(&overall["csat"]), l)}</strong> " " {tr(AMsg::CsatShare)}
                " · " {decimal(num(&overall["mean"]), 1, l)} " " {tr(AMsg::CsatMean)}
                " · " {int(&overall["answered"])} " " {tr(AMsg::CsatAnswered)}
            </p>
            <table class="data">
                <thead><tr><th>{tr(AMsg::CsatServedBy)}</th><th class="num">{tr(AMsg::CsatAnswered)}</th><th class="num">{tr(AMsg::CsatMean)}</th><th class="num">{tr(AMsg::CsatShare)}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    })
}

/// The cross-selling work list: each customer's best product to offer, one tap (or one for
/// all) from a task for today for those who may add tasks.
#[component]
fn OffersSection(page: Page) -> impl IntoView {
    let locale = use_locale();
    let may_task = crate::use_signed_in()
        .is_some_and(|c| c.may("tasks", wilayah_shared::access::Action::Create));
    let staff_id = crate::use_signed_in().and_then(|c| c.staff_id);
    let added: RwSignal<Vec<(i64, bool)>> = RwSignal::new(Vec::new());
    let add = move |account: i64, sku: String| {
        let title = format!("{} {sku}", AMsg::OfferTask.text(locale.get_untracked()));
        #[cfg(feature = "hydrate")]
        browser::add_task(account, title, staff_id, added);
        #[cfg(not(feature = "hydrate"))]
        let _ = (account, title, staff_id);
    };
    section(
        "offers",
        AMsg::OffersTitle,
        page.offers,
        Some(csv_signal(page, "offers")),
        move |v| {
            let l = locale.get();
            if v.get("refused").is_some() {
                return view! { <p class="muted" data-testid="offers-too-many">{tr(AMsg::OffersTooMany)}</p> }
                    .into_any();
            }
            let offers = v["offers"].as_array().cloned().unwrap_or_default();
            if offers.is_empty() {
                return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
            }
            let pending: Vec<(i64, String)> = offers
                .iter()
                .map(|o| (int(&o["account_id"]), text(&o["sku"])))
                .collect();
            let rows = offers
                .iter()
                .map(|o| {
                    let id = int(&o["account_id"]);
                    let sku = text(&o["sku"]);
                    let state = move || added.get().iter().find(|(x, _)| *x == id).map(|(_, ok)| *ok);
                    let action = may_task.then(|| {
                        let sku = sku.clone();
                        view! {
                            <td>
                                {move || match state() {
                                    Some(true) => view! { <span>{tr(AMsg::TaskAdded)}</span> }.into_any(),
                                    Some(false) => view! { <span class="error">{tr(AMsg::TaskFailed)}</span> }.into_any(),
                                    None => {
                                        let sku = sku.clone();
                                        view! { <button class="action" data-testid="offer-task" on:click=move |_| add(id, sku.clone())>{tr(AMsg::AddTask)}</button> }.into_any()
                                    }
                                }}
                            </td>
                        }
                    });
                    view! {
                        <tr data-testid="offer" data-account-id=id>
                            <td><a href=format!("/accounts/{id}")>{text(&o["name"])}</a></td>
                            <td>{sku.clone()}</td>
                            <td class="num">{decimal(num(&o["look_alikes"]), 0, l)}</td>
                            {action}
                        </tr>
                    }
                })
                .collect_view();
            let all = may_task.then(|| {
                let pending = pending.clone();
                view! {
                    <button class="action" data-testid="offers-all-tasks" on:click=move |_| {
                        for (id, sku) in &pending {
                            if !added.with_untracked(|a| a.iter().any(|(x, _)| x == id)) {
                                add(*id, sku.clone());
                            }
                        }
                    }>{tr(AMsg::OffersAllTasks)}</button>
                }
            });
            view! {
                <p class="muted small">{tr(AMsg::OffersHint)}</p>
                <table class="data" data-testid="offers-table">
                    <thead><tr><th>{tr(AMsg::Account)}</th><th>{tr(AMsg::OfferProduct)}</th><th class="num">{tr(AMsg::OfferLookAlikes)}</th>{may_task.then(|| view! { <th></th> })}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                {all}
            }
            .into_any()
        },
    )
}

#[component]
fn UnusualSection(page: Page) -> impl IntoView {
    let locale = use_locale();
    section(
        "unusual",
        AMsg::UnusualTitle,
        page.unusual,
        Some(csv_signal(page, "unusual")),
        move |v| {
            let l = locale.get();
            let currency = text(&v["currency"]);
            let orders = v["orders"].as_array().cloned().unwrap_or_default();
            if orders.is_empty() {
                return view! { <p class="muted">{tr(AMsg::NoData)}</p> }.into_any();
            }
            let rows = orders
                .iter()
                .map(|o| {
                    view! {
                        <tr>
                            <td>{format!("#{}", int(&o["order_id"]))}</td>
                            <td>{text(&o["order_date"])}</td>
                            <td class="num">{format_money_short(int(&o["amount_minor"]), &currency)}</td>
                            <td class="num">{decimal(num(&o["score"]), 1, l)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="data">
                    <thead><tr><th>{tr(AMsg::Order)}</th><th>{tr(AMsg::Date)}</th><th class="num">{tr(AMsg::Amount)}</th><th class="num">{tr(AMsg::Score)}</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        },
    )
}

// ---- on the map -----------------------------------------------------------------------------

/// Colours of the five quantile classes, low to high.
pub const CLASS_COLOURS: [&str; 5] = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];

const METRICS: [(&str, AMsg); 5] = [
    ("revenue", AMsg::MetricRevenue),
    ("profit", AMsg::MetricProfit),
    ("clv", AMsg::MetricClv),
    ("churn", AMsg::MetricChurn),
    ("segment", AMsg::MetricSegment),
];

/// The name of a map metric (`revenue`, `profit`, `clv`, `churn`, `segment`).
pub(crate) fn metric_label(metric: &str) -> Option<AMsg> {
    METRICS
        .iter()
        .find(|(m, _)| *m == metric)
        .map(|(_, label)| *label)
}

const SEGMENTS: [&str; 11] = [
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
];

/// The MapLibre colour of a point: by its RFM segment, or by its quantile class.
pub fn metric_point_colour(metric: &str) -> Value {
    if metric == "segment" {
        let mut e = vec![
            serde_json::json!("match"),
            serde_json::json!(["get", "segment"]),
        ];
        for s in SEGMENTS {
            e.push(serde_json::json!(s));
            e.push(serde_json::json!(segment_colour(s)));
        }
        e.push(serde_json::json!("#adb5bd"));
        Value::Array(e)
    } else {
        let mut e = vec![
            serde_json::json!("match"),
            serde_json::json!(["get", "class"]),
        ];
        for (i, c) in CLASS_COLOURS.iter().enumerate() {
            e.push(serde_json::json!(i));
            e.push(serde_json::json!(c));
        }
        e.push(serde_json::json!("#adb5bd"));
        Value::Array(e)
    }
}

/// The metric map's layers: the territories shaded by their quantile class with their
/// outlines, the heat map weighted by the accounts' quantile class, and the points.
pub fn metric_layers() -> [Value; 4] {
    [
        serde_json::json!({"id": "metric-territories", "type": "fill", "source": "territories",
            "paint": {"fill-color": metric_point_colour("revenue"), "fill-opacity": 0.55}}),
        serde_json::json!({"id": "metric-territory-lines", "type": "line", "source": "territories",
            "paint": {"line-color": "#495057", "line-width": 1.5}}),
        serde_json::json!({"id": "metric-heat", "type": "heatmap", "source": "metric",
            "paint": {"heatmap-weight": ["/", ["+", 1, ["get", "class"]], 5],
                      "heatmap-radius": ["interpolate", ["linear"], ["zoom"], 4, 14, 12, 36],
                      "heatmap-intensity": 1.2, "heatmap-opacity": 0.8}}),
        serde_json::json!({"id": "metric-points", "type": "circle", "source": "metric",
            "paint": {"circle-radius": 6, "circle-color": metric_point_colour("revenue"),
                      "circle-stroke-color": "#333", "circle-stroke-width": 1}}),
    ]
}

/// A class limit as the legend shows it.
fn limit_text(metric: &str, value: f64, currency: &str, locale: Locale) -> String {
    if metric == "churn" {
        percent(value, locale)
    } else {
        format_money_short(value.round() as i64, currency)
    }
}

/// A legend's quantile classes (`legend.breaks` of a map answer): one line per class with its
/// colour and lower limit.
pub(crate) fn class_legend(metric: &str, legend: &Value, l: Locale) -> impl IntoView + use<> {
    let currency = legend["currency"].as_str().unwrap_or("IDR").to_owned();
    let breaks: Vec<f64> = legend["breaks"]
        .as_array()
        .map(|b| b.iter().map(num).collect())
        .unwrap_or_default();
    (0..=breaks.len())
        .map(|i| {
            // Too few distinct values for limits: one class, said so rather than left blank.
            let label = if breaks.is_empty() {
                AMsg::LegendOneClass.text(l).to_owned()
            } else if i == 0 {
                format!("{} {}", AMsg::LegendBelow.text(l), limit_text(metric, breaks[0], &currency, l))
            } else {
                format!("{} {}", AMsg::LegendFrom.text(l), limit_text(metric, breaks[i - 1], &currency, l))
            };
            let colour = CLASS_COLOURS[i.min(CLASS_COLOURS.len() - 1)];
            view! { <li><span class="dot" style=format!("background:{colour}")></span> " " {label}</li> }
        })
        .collect_view()
}

/// What the customers-at-risk search answered, and whether it fell back to the map centre.
#[derive(Clone, Copy)]
struct NearSearch {
    answer: Slot,
    no_position: RwSignal<bool>,
}

#[component]
fn MapSection(page: Page) -> impl IntoView {
    let locale = use_locale();
    let metric = RwSignal::new("revenue".to_owned());
    let heat = RwSignal::new(true);
    let points = RwSignal::new(true);
    let legend: RwSignal<Option<Value>> = RwSignal::new(None);
    let territories = RwSignal::new(true);
    let territory_legend: RwSignal<Option<Value>> = RwSignal::new(None);
    let near = NearSearch {
        answer: RwSignal::new(None),
        no_position: RwSignal::new(false),
    };
    let added: RwSignal<Vec<(i64, bool)>> = RwSignal::new(Vec::new());
    let may = |resource: &str| {
        crate::use_signed_in()
            .is_some_and(|c| c.may(resource, wilayah_shared::access::Action::Create))
    };
    let (may_add_visit, may_add_task) = (may("visits"), may("tasks"));
    let staff_id = crate::use_signed_in().and_then(|c| c.staff_id);
    let container = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    browser::start_map(
        page,
        container,
        metric,
        browser::Layers {
            heat,
            points,
            territories,
        },
        (legend, territory_legend),
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = (heat, points, container);
    let metric_options = METRICS
        .iter()
        .map(|(code, label)| {
            let code = *code;
            let label = *label;
            view! { <option value=code selected=move || metric.get() == code>{tr(label)}</option> }
        })
        .collect_view();
    let legend_view = move || {
        let l = locale.get();
        let m = metric.get();
        if m == "segment" {
            return SEGMENTS
                .iter()
                .map(|code| {
                    let name = segment_msg(code).map_or("", |x| x.text(l));
                    view! { <li><span class="dot" style=format!("background:{}", segment_colour(code))></span> " " {name}</li> }
                })
                .collect_view()
                .into_any();
        }
        let Some(v) = legend.get() else {
            return ().into_any();
        };
        class_legend(&m, &v, l).into_any()
    };
    let territory_legend_view = move || {
        let l = locale.get();
        let m = metric.get();
        if !territories.get() {
            return ().into_any();
        }
        if m == "segment" {
            return view! { <p class="muted small">{tr(AMsg::TerritoryNoSegment)}</p> }.into_any();
        }
        let Some(v) = territory_legend.get() else {
            return ().into_any();
        };
        let title = if v["aggregate"] == "mean" {
            AMsg::TerritoryLegendMean
        } else {
            AMsg::TerritoryLegendSum
        };
        view! {
            <h3>{title.text(l)}</h3>
            <ul class="legend territory-legend" data-testid="territory-legend">{class_legend(&m, &v, l)}</ul>
        }
        .into_any()
    };
    let search = move |how: &'static str| {
        #[cfg(feature = "hydrate")]
        browser::search_at_risk(how, near);
        #[cfg(not(feature = "hydrate"))]
        let _ = (how, near);
    };
    // Opened from /today's "along today's route" link (`?near=route`): search at once.
    let from_route_link = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("near").is_some_and(|v| v == "route"));
    if from_route_link {
        search("route");
    }
    // One tap: a visit for the roles that may create visits, otherwise a task (reps).
    let add_follow_up = move |account: i64, name: String| {
        #[cfg(feature = "hydrate")]
        {
            if may_add_visit {
                browser::add_visit(account, added);
            } else {
                let title = format!("{}: {name}", AMsg::TaskTitle.text(locale.get_untracked()));
                browser::add_task(account, title, staff_id, added);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (account, name, added, staff_id);
    };
    let (add_text, added_text, failed_text) = if may_add_visit {
        (AMsg::AddVisit, AMsg::VisitAdded, AMsg::VisitFailed)
    } else {
        (AMsg::AddTask, AMsg::TaskAdded, AMsg::TaskFailed)
    };
    let may_follow_up = may_add_visit || may_add_task;
    let near_view = move || match near.answer.get() {
        None => ().into_any(),
        Some(Err(())) => view! { <p class="error">{tr(AMsg::LoadFailed)}</p> }.into_any(),
        Some(Ok(v)) => {
            let l = locale.get();
            let note = near
                .no_position
                .get()
                .then(|| view! { <p class="near-note small" data-testid="near-no-position">{tr(AMsg::NoPosition)}</p> });
            let accounts = v["accounts"].as_array().cloned().unwrap_or_default();
            if v["stops"].as_array().is_some_and(Vec::is_empty) {
                return view! { <p class="muted" data-testid="near-none">{tr(AMsg::NoStops)}</p> }
                    .into_any();
            }
            if accounts.is_empty() {
                return view! { {note} <p class="muted" data-testid="near-none">{tr(AMsg::NoData)}</p> }
                    .into_any();
            }
            let rows = accounts
                .iter()
                .map(|a| {
                    let id = int(&a["account_id"]);
                    let name = text(&a["name"]);
                    let currency = text(&a["currency"]);
                    let state = move || added.get().iter().find(|(x, _)| *x == id).map(|(_, ok)| *ok);
                    let action = may_follow_up.then(|| {
                        let name = name.clone();
                        view! {
                            <td>
                                {move || match state() {
                                    Some(true) => view! { <span>{tr(added_text)}</span> }.into_any(),
                                    Some(false) => view! { <span class="error">{tr(failed_text)}</span> }.into_any(),
                                    None => {
                                        let name = name.clone();
                                        view! { <button class="action" data-testid="near-follow-up" on:click=move |_| add_follow_up(id, name.clone())>{tr(add_text)}</button> }.into_any()
                                    }
                                }}
                            </td>
                        }
                    });
                    let stop = a["stop"]["name"].as_str().map(|s| {
                        view! { <span class="muted small near-stop">{format!("{} {s}", AMsg::NearStop.text(l))}</span> }
                    });
                    view! {
                        <tr>
                            <td>{name.clone()} {stop}</td>
                            <td class="num">{crate::format_distance(num(&a["distance_m"]))}</td>
                            <td class="num">{percent(num(&a["churn_risk"]), l)}</td>
                            <td class="num">{format_money_short(int(&a["value_at_risk_minor"]), &currency)}</td>
                            {action}
                        </tr>
                    }
                })
                .collect_view();
            view! {
                {note}
                <table class="data" data-testid="near-table">
                    <thead><tr><th>{tr(AMsg::Account)}</th><th class="num">{tr(AMsg::Distance)}</th><th class="num">{tr(AMsg::ChurnRisk)}</th><th class="num">{tr(AMsg::ValueAtRisk)}</th>{may_follow_up.then(|| view! { <th></th> })}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }
    };
    let _ = page;
    view! {
        <section class="panel analytics-map-section" id="map" data-testid="section-map">
            <div class="section-head">
                <h2>{tr(AMsg::MapTitle)}</h2>
                <label class="filter inline">
                    <span>{tr(AMsg::Metric)}</span>
                    <select data-testid="map-metric" on:change=move |ev| metric.set(event_target_value(&ev))>
                        {metric_options}
                    </select>
                </label>
                <label class="layer-toggle">
                    <input type="checkbox" data-testid="toggle-heat" prop:checked=move || heat.get() on:change=move |ev| heat.set(event_target_checked(&ev)) />
                    {tr(AMsg::HeatLayer)}
                </label>
                <label class="layer-toggle">
                    <input type="checkbox" data-testid="toggle-points" prop:checked=move || points.get() on:change=move |ev| points.set(event_target_checked(&ev)) />
                    {tr(AMsg::PointsLayer)}
                </label>
                <label class="layer-toggle">
                    <input type="checkbox" data-testid="toggle-territories" prop:checked=move || territories.get() on:change=move |ev| territories.set(event_target_checked(&ev)) />
                    {tr(AMsg::TerritoryLayer)}
                </label>
            </div>
            <div class="analytics-map-body">
                <div class="analytics-map" node_ref=container data-testid="analytics-map"></div>
                <div class="analytics-map-side">
                    <ul class="legend" data-testid="map-legend">{legend_view}</ul>
                    {territory_legend_view}
                    <h3>{tr(AMsg::NearTitle)}</h3>
                    <p class="muted small">{tr(AMsg::NearHint)}</p>
                    <div class="near-actions">
                        <button class="action" data-testid="near-me" on:click=move |_| search("me")>{tr(AMsg::NearMe)}</button>
                        <button class="action" data-testid="near-search" on:click=move |_| search("centre")>{tr(AMsg::NearCentre)}</button>
                        <button class="action" data-testid="near-route" on:click=move |_| search("route")>{tr(AMsg::AlongRoute)}</button>
                    </div>
                </div>
            </div>
            <div class="near-results table-scroll">{near_view}</div>
        </section>
    }
}

/// The account page's profitability waterfall over the last twelve months (revenue → cost of
/// goods → gross margin → visits and travel → cases → campaigns → acquisition → profit), loaded
/// after hydration from `GET /api/v1/accounts/{id}/profitability`. Self-contained: mount it
/// anywhere with the account's id.
#[component]
pub fn ProfitWaterfall(account_id: i64) -> impl IntoView {
    let data: Slot = RwSignal::new(None);
    #[cfg(feature = "hydrate")]
    {
        let url = format!("/api/v1/accounts/{account_id}/profitability");
        leptos::task::spawn_local(async move {
            let answer = browser::get(&url).await;
            let _ = data.try_set(Some(answer));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = account_id;
    view! {
        <leptos_meta::Stylesheet href="/analytics.css" />
        <section class="panel profit-waterfall" data-testid="profit-waterfall">
            <h2>{tr(AMsg::ProfitTitle)}</h2>
            {move || match data.get() {
                None => view! { <p class="muted">{tr(AMsg::Loading)}</p> }.into_any(),
                Some(Err(())) => view! { <p class="error">{tr(AMsg::LoadFailed)}</p> }.into_any(),
                Some(Ok(v)) => {
                    let currency = v["currency"].as_str().unwrap_or("IDR").to_owned();
                    view! { <Waterfall figures=v currency /> }.into_any()
                }
            }}
        </section>
    }
}

/// The browser side: loading the datasets, starting and polling the scoring job.
#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use leptos::task::spawn_local;

    /// GETs JSON from our REST API; any failure is `Err(())` (the section says it could not load).
    pub async fn get(url: &str) -> Result<Value, ()> {
        match gloo_net::http::Request::get(url).send().await {
            Ok(r) if r.ok() => r.json::<Value>().await.map_err(|_| ()),
            _ => Err(()),
        }
    }

    /// As [`get`], but a refusal (422) is answered as `{"refused": <the error>}`, for a
    /// section that says what to change.
    pub async fn get_or_refusal(url: &str) -> Result<Value, ()> {
        match gloo_net::http::Request::get(url).send().await {
            Ok(r) if r.status() == 422 => r
                .json::<Value>()
                .await
                .map(|e| serde_json::json!({ "refused": e }))
                .map_err(|_| ()),
            Ok(r) if r.ok() => r.json::<Value>().await.map_err(|_| ()),
            _ => Err(()),
        }
    }

    pub fn start(page: Page) {
        spawn_local(async move {
            if let Ok(options) = crate::api::get_filter_options().await {
                let _ = page.options.try_set(Some(options));
            }
        });
        Effect::new(move |_| {
            let filter = page.filter.get();
            let by_rep = page.trend_by_rep.get();
            for (key, url) in urls(&filter, by_rep) {
                let slot = slot_of(page, key);
                slot.set(None);
                spawn_local(async move {
                    let answer = if key == "offers" {
                        get_or_refusal(&url).await
                    } else {
                        get(&url).await
                    };
                    let _ = slot.try_set(Some(answer));
                });
            }
        });
        poll(page, false);
    }

    fn slot_of(page: Page, key: &str) -> Slot {
        match key {
            "rfm" => page.rfm,
            "pareto" => page.pareto,
            "profit" => page.profit,
            "cohorts" => page.cohorts,
            "trend" => page.trend,
            "cross_sell" => page.cross_sell,
            "offers" => page.offers,
            "csat" => page.csat,
            "unusual" => page.unusual,
            "clv" => page.clv,
            _ => page.at_risk,
        }
    }

    /// Reads the latest job; while it runs, again in a second; when it has just finished, the
    /// score lists are read again. `just_started`: this page started the job, which may already
    /// be done when the first read answers (a small book scores in milliseconds), and the
    /// lists must be read again all the same.
    fn poll(page: Page, just_started: bool) {
        spawn_local(async move {
            let was_running = just_started
                || matches!(
                    page.job.try_get_untracked().flatten(),
                    Some(Ok(ref v)) if v["job"]["status"] == "running"
                );
            let answer = get("/api/v1/analytics/scoring-jobs/latest").await;
            let running = matches!(&answer, Ok(v) if v["job"]["status"] == "running");
            if page.job.try_set(Some(answer)).is_some() {
                return;
            }
            if running {
                set_timeout(
                    move || poll(page, true),
                    std::time::Duration::from_millis(700),
                );
            } else if was_running {
                let filter = page.filter.get_untracked();
                for (key, url) in urls(&filter, page.trend_by_rep.get_untracked()) {
                    if key == "clv" || key == "at_risk" {
                        let slot = slot_of(page, key);
                        spawn_local(async move {
                            let answer = get(&url).await;
                            let _ = slot.try_set(Some(answer));
                        });
                    }
                }
            }
        });
    }

    mod js {
        use wasm_bindgen::prelude::*;

        #[wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(js_namespace = maplibregl, js_name = Map)]
            #[derive(Clone)]
            pub type MetricMap;

            #[wasm_bindgen(constructor, js_namespace = maplibregl, js_class = "Map")]
            pub fn new(options: &JsValue) -> MetricMap;

            #[wasm_bindgen(method)]
            pub fn on(this: &MetricMap, event: &str, listener: &js_sys::Function);

            #[wasm_bindgen(method, js_name = addSource)]
            pub fn add_source(this: &MetricMap, id: &str, source: &JsValue);

            #[wasm_bindgen(method, js_name = addLayer)]
            pub fn add_layer(this: &MetricMap, layer: &JsValue);

            #[wasm_bindgen(method, js_name = getLayer)]
            pub fn get_layer(this: &MetricMap, id: &str) -> JsValue;

            #[wasm_bindgen(method, js_name = getSource)]
            pub fn get_source(this: &MetricMap, id: &str) -> JsValue;

            #[wasm_bindgen(method, js_name = setLayoutProperty)]
            pub fn set_layout_property(this: &MetricMap, layer: &str, name: &str, value: &JsValue);

            #[wasm_bindgen(method, js_name = setPaintProperty)]
            pub fn set_paint_property(this: &MetricMap, layer: &str, name: &str, value: &JsValue);

            #[wasm_bindgen(method, js_name = getCenter)]
            pub fn get_center(this: &MetricMap) -> JsValue;

            #[wasm_bindgen(method, js_name = fitBounds)]
            pub fn fit_bounds(this: &MetricMap, bounds: &JsValue, options: &JsValue);
        }
    }

    fn to_js(value: &Value) -> wasm_bindgen::JsValue {
        js_sys::JSON::parse(&value.to_string()).unwrap_or(wasm_bindgen::JsValue::NULL)
    }

    thread_local! {
        static METRIC_MAP: std::cell::RefCell<Option<js::MetricMap>> = const { std::cell::RefCell::new(None) };
        static MAP_LOADED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    fn with_map(f: impl FnOnce(&js::MetricMap)) {
        if !MAP_LOADED.with(std::cell::Cell::get) {
            return;
        }
        METRIC_MAP.with(|m| {
            if let Some(map) = m.borrow().as_ref() {
                f(map);
            }
        });
    }

    fn set_source(map: &js::MetricMap, id: &str, data: &Value) {
        use wasm_bindgen::JsCast;
        let source = map.get_source(id);
        if source.is_undefined() {
            return;
        }
        if let Ok(set_data) = js_sys::Reflect::get(&source, &"setData".into())
            && let Ok(set_data) = set_data.dyn_into::<js_sys::Function>()
        {
            let _ = set_data.call1(&source, &to_js(data));
        }
    }

    /// The metric map's layer toggles.
    #[derive(Clone, Copy)]
    pub struct Layers {
        pub heat: RwSignal<bool>,
        pub points: RwSignal<bool>,
        pub territories: RwSignal<bool>,
    }

    /// Creates the metric map once its container is there, then keeps its data, colours and
    /// layer visibility in step with the chosen metric, the page's filter and the toggles;
    /// `legends` receive the accounts' and the territories' class limits.
    pub fn start_map(
        page: Page,
        container: NodeRef<leptos::html::Div>,
        metric: RwSignal<String>,
        layers: Layers,
        legends: (RwSignal<Option<Value>>, RwSignal<Option<Value>>),
    ) {
        let (legend, territory_legend) = legends;
        use wasm_bindgen::JsCast;
        use wasm_bindgen::prelude::Closure;
        Effect::new(move |_| {
            let Some(div) = container.get() else { return };
            if METRIC_MAP.with(|m| m.borrow().is_some()) {
                return;
            }
            let settings = crate::map::MapSettings {
                tile_url: None,
                tile_attribution: None,
                center: (113.5, -3.5),
                zoom: 4.2,
            };
            let attribution = Msg::BasemapAttribution.text(use_locale().get_untracked());
            let options = to_js(&serde_json::json!({
                "style": crate::map::base_style(&settings, attribution),
                "center": [settings.center.0, settings.center.1],
                "zoom": settings.zoom,
                "attributionControl": { "compact": false },
            }));
            let element: &web_sys::HtmlElement = div.unchecked_ref();
            let _ = js_sys::Reflect::set(&options, &"container".into(), element);
            let map = js::MetricMap::new(&options);
            let on_load = {
                let map = map.clone();
                Closure::<dyn FnMut()>::new(move || {
                    for source in ["territories", "metric"] {
                        map.add_source(
                            source,
                            &to_js(&serde_json::json!({"type": "geojson", "data": no_features()})),
                        );
                    }
                    for layer in metric_layers() {
                        map.add_layer(&to_js(&layer));
                    }
                    MAP_LOADED.with(|l| l.set(true));
                    // Draw what is known by now.
                    metric.notify();
                })
            };
            map.on("load", on_load.as_ref().unchecked_ref());
            on_load.forget();
            let on_idle = {
                let element = element.clone();
                Closure::<dyn FnMut()>::new(move || {
                    let _ = element.set_attribute("data-map-idle", "true");
                })
            };
            map.on("idle", on_idle.as_ref().unchecked_ref());
            on_idle.forget();
            if let Some(window) = web_sys::window() {
                let _ = js_sys::Reflect::set(&window, &"wilayahMetricMap".into(), &map);
            }
            METRIC_MAP.with(|m| *m.borrow_mut() = Some(map));
        });
        Effect::new(move |_| {
            let m = metric.get();
            let filter = page.filter.get();
            let url = format!(
                "/api/v1/analytics/map?metric={m}{}{}",
                filter.period(),
                filter.scope()
            );
            spawn_local(async move {
                let Ok(data) = get(&url).await else { return };
                let _ = legend.try_set(Some(data["legend"].clone()));
                let bounds = bounds_of(&data);
                with_map(|map| {
                    set_source(map, "metric", &data);
                    map.set_paint_property(
                        "metric-points",
                        "circle-color",
                        &to_js(&metric_point_colour(&m)),
                    );
                    if let Some(b) = bounds {
                        map.fit_bounds(
                            &to_js(&serde_json::json!([[b[0], b[1]], [b[2], b[3]]])),
                            &to_js(
                                &serde_json::json!({"padding": 40, "maxZoom": 13, "duration": 0}),
                            ),
                        );
                    }
                });
            });
        });
        // Territories shaded by the metric (a number: not by RFM segment).
        Effect::new(move |_| {
            let m = metric.get();
            let filter = page.filter.get();
            if m == "segment" {
                territory_legend.set(None);
                with_map(|map| set_source(map, "territories", &no_features()));
                return;
            }
            let url = format!(
                "/api/v1/analytics/territories?metric={m}{}{}",
                filter.period(),
                filter.scope()
            );
            spawn_local(async move {
                let Ok(data) = get(&url).await else { return };
                let _ = territory_legend.try_set(Some(data["legend"].clone()));
                with_map(|map| set_source(map, "territories", &data));
            });
        });
        Effect::new(move |_| {
            let Layers {
                heat,
                points,
                territories,
            } = layers;
            let (h, p, t) = (heat.get(), points.get(), territories.get());
            metric.track();
            with_map(|map| {
                let v =
                    |on: bool| wasm_bindgen::JsValue::from_str(if on { "visible" } else { "none" });
                map.set_layout_property("metric-heat", "visibility", &v(h));
                map.set_layout_property("metric-points", "visibility", &v(p));
                map.set_layout_property("metric-territories", "visibility", &v(t));
                map.set_layout_property("metric-territory-lines", "visibility", &v(t));
            });
        });
    }

    /// A FeatureCollection without features.
    fn no_features() -> Value {
        serde_json::json!({"type": "FeatureCollection", "features": []})
    }

    fn bounds_of(data: &Value) -> Option<[f64; 4]> {
        let mut b: Option<[f64; 4]> = None;
        for f in data["features"].as_array()? {
            let c = &f["geometry"]["coordinates"];
            let (x, y) = (c[0].as_f64()?, c[1].as_f64()?);
            b = Some(match b {
                None => [x, y, x, y],
                Some([w, s, e, n]) => [w.min(x), s.min(y), e.max(x), n.max(y)],
            });
        }
        b
    }

    /// The metric map's centre.
    fn map_centre() -> Option<(f64, f64)> {
        let mut centre = None;
        with_map(|map| {
            let c = map.get_center();
            let coord = |k: &str| {
                js_sys::Reflect::get(&c, &k.into())
                    .ok()
                    .and_then(|v| v.as_f64())
            };
            centre = coord("lng").zip(coord("lat"));
        });
        centre
    }

    /// Valuable customers at risk: `how` is "me" (the device's position; the map centre, with
    /// a note, when the position is refused or unavailable), "centre" (the map centre) or
    /// "route" (near the stops of today's route).
    pub fn search_at_risk(how: &'static str, near: NearSearch) {
        near.answer.set(None);
        near.no_position.set(false);
        let fetch = move |url: String| {
            spawn_local(async move {
                let answer = get(&url).await;
                let _ = near.answer.try_set(Some(answer));
            });
        };
        let around = move |(lon, lat): (f64, f64)| {
            fetch(format!(
                "/api/v1/analytics/at-risk-nearby?lon={lon:.5}&lat={lat:.5}&radius_m=50000"
            ))
        };
        match how {
            "route" => fetch("/api/v1/analytics/at-risk-along-route?radius_m=5000".into()),
            "me" => device_position(move |position| {
                if position.is_none() {
                    let _ = near.no_position.try_set(true);
                }
                if let Some(at) = position.or_else(map_centre) {
                    around(at);
                }
            }),
            _ => {
                if let Some(at) = map_centre() {
                    around(at);
                }
            }
        }
    }

    /// The device's position (navigator.geolocation) once, or `None` when it is unavailable,
    /// refused, or has not come within ten seconds; `done` runs once.
    fn device_position(done: impl FnOnce(Option<(f64, f64)>) + 'static) {
        use std::cell::RefCell;
        use std::rc::Rc;
        use wasm_bindgen::JsCast;
        use wasm_bindgen::prelude::Closure;
        type Done = Box<dyn FnOnce(Option<(f64, f64)>)>;
        let done: Rc<RefCell<Option<Done>>> = Rc::new(RefCell::new(Some(Box::new(done))));
        let finish = move |position: Option<(f64, f64)>| {
            if let Some(done) = done.borrow_mut().take() {
                done(position);
            }
        };
        let Some(window) = web_sys::window() else {
            return finish(None);
        };
        let geolocation = js_sys::Reflect::get(&window.navigator(), &"geolocation".into())
            .ok()
            .filter(|g| g.is_object());
        let get_position = geolocation.as_ref().and_then(|g| {
            js_sys::Reflect::get(g, &"getCurrentPosition".into())
                .ok()?
                .dyn_into::<js_sys::Function>()
                .ok()
        });
        let (Some(geolocation), Some(get_position)) = (geolocation, get_position) else {
            return finish(None);
        };
        let on_position = {
            let finish = finish.clone();
            Closure::once_into_js(move |position: wasm_bindgen::JsValue| {
                let coords = js_sys::Reflect::get(&position, &"coords".into()).ok();
                let coord = |k: &str| {
                    coords
                        .as_ref()
                        .and_then(|c| js_sys::Reflect::get(c, &k.into()).ok())
                        .and_then(|v| v.as_f64())
                };
                finish(coord("longitude").zip(coord("latitude")));
            })
        };
        let on_error = {
            let finish = finish.clone();
            Closure::once_into_js(move |_: wasm_bindgen::JsValue| finish(None))
        };
        let options = to_js(&serde_json::json!({"timeout": 10_000, "maximumAge": 300_000}));
        if get_position
            .call3(&geolocation, &on_position, &on_error, &options)
            .is_err()
        {
            return finish(None);
        }
        // A permission prompt nobody answers calls neither callback.
        set_timeout(move || finish(None), std::time::Duration::from_secs(10));
    }

    /// A visit to the account tomorrow between 09:00 and 17:00 (the device's time), 30 minutes,
    /// for the planner to give a technician.
    pub fn add_visit(account: i64, added: RwSignal<Vec<(i64, bool)>>) {
        let at = |hour: u32| {
            let d = js_sys::Date::new_0();
            d.set_date(d.get_date() + 1);
            d.set_hours(hour);
            d.set_minutes(0);
            d.set_seconds(0);
            d.set_milliseconds(0);
            format!(
                "{:04}-{:02}-{:02}T{:02}:00:00Z",
                d.get_utc_full_year(),
                d.get_utc_month() + 1,
                d.get_utc_date(),
                d.get_utc_hours()
            )
        };
        let body = serde_json::json!({"account_id": account, "window_start": at(9),
            "window_end": at(17), "duration_min": 30, "status": "scheduled"});
        spawn_local(async move {
            let sent = match crate::auth::post("/api/v1/visits")
                .header("content-type", "application/json")
                .body(body.to_string())
            {
                Ok(request) => request.send().await.is_ok_and(|r| r.ok()),
                Err(_) => false,
            };
            let _ = added.try_update(|list| list.push((account, sent)));
        });
    }

    /// A task to follow the account up today, assigned to the signed-in member of staff (for
    /// those who may not create visits).
    pub fn add_task(
        account: i64,
        title: String,
        assignee: Option<i64>,
        added: RwSignal<Vec<(i64, bool)>>,
    ) {
        let body = serde_json::json!({"account_id": account, "title": title,
            "due_on": crate::pipeline::local_today(), "priority": "high", "assignee_id": assignee});
        spawn_local(async move {
            let sent = crate::pipeline::call("POST", "/api/v1/tasks".into(), Some(body))
                .await
                .is_ok();
            let _ = added.try_update(|list| list.push((account, sent)));
        });
    }

    pub fn start_scoring(page: Page) {
        page.busy.set(true);
        spawn_local(async move {
            let answer = crate::auth::post("/api/v1/analytics/scoring-jobs")
                .header("content-type", "application/json")
                .body("{}")
                .map(|r| r.send());
            if let Ok(send) = answer {
                let _ = send.await;
            }
            let _ = page.busy.try_set(false);
            poll(page, true);
        });
    }
}
