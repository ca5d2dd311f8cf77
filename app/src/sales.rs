//! Sales pages (issue 18): the catalogue (`/catalogue`: products, price lists, CSV import and
//! export, the sales settings), the quote builder (`/quotes/{id}`, `/quotes/new?deal=ID`), the
//! printable proposal (`/quotes/{id}/print`), orders (`/orders`, `/orders/{id}`) and the
//! account's sales ([`AccountSales`]).
//!
//! Every page renders a shell on the server and loads its data in the browser through the REST
//! API after hydration (`/api/v1/products`, `/quotes`, `/orders`, `/sales/settings`), which holds
//! the access rules, the validation and the totals: the pages compute no money themselves, they
//! show the server's integer minor units through [`crate::format_money`].

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use wilayah_shared::access::Role;

use crate::i18n::{Locale, Msg, Text, tr, use_locale};
use crate::{format_money, use_signed_in};

/// The sales pages' own texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesText {
    Products,
    PriceLists,
    Sku,
    Name,
    NameEn,
    NameId,
    Unit,
    Category,
    ListPrice,
    CostPrice,
    Currency,
    TaxRate,
    Status,
    Price,
    ValidFrom,
    ValidUntil,
    Segment,
    Territory,
    NewProduct,
    NewPriceList,
    AddPrice,
    Edit,
    ImportCsv,
    ExportCsv,
    Imported,
    New,
    Changed,
    Unchanged,
    ImportRefused,
    Row,
    Field,
    Stale,
    SaveFailed,
    ToReview,
    Settings,
    CompanyName,
    CompanyAddress,
    LogoUrl,
    DefaultTerms,
    LimitRep,
    LimitManager,
    LimitAdmin,
    QuoteNo,
    Revision,
    Revisions,
    Account,
    Deal,
    Lines,
    Quantity,
    UnitPrice,
    Discount,
    Net,
    Tax,
    Total,
    Subtotal,
    Margin,
    Cost,
    AddLine,
    SearchProducts,
    Remove,
    SaveLines,
    NeedsApproval,
    Approve,
    Approved,
    Send,
    Accept,
    Reject,
    Revise,
    Print,
    PrintNow,
    Frozen,
    NewQuote,
    CreateQuote,
    NewOrder,
    CreateOrder,
    PricedOnSave,
    FindAccount,
    NoLines,
    ChangeAccount,
    OrderMade,
    OpenOrder,
    Terms,
    Proposal,
    PreparedFor,
    Date,
    Orders,
    Quotes,
    OrderDate,
    Return,
    ReturnOf,
    Returned,
    MarkDelivered,
    MarkInvoiced,
    CancelOrder,
    RevenueToDate,
    NoneYet,
    AllStatuses,
    PdfNote,
    BackToQuote,
    OpenDeals,
    Saved,
    // Statuses.
    Draft,
    Sent,
    Accepted,
    Rejected,
    Expired,
    Superseded,
    Open,
    Delivered,
    Invoiced,
    Cancelled,
    Active,
    Inactive,
    Review,
    // Units.
    UnitPiece,
    UnitBox,
    UnitPack,
    UnitKg,
    UnitG,
    UnitL,
    UnitMl,
    UnitM,
    UnitM2,
    UnitHour,
    UnitDay,
    UnitMonth,
    UnitService,
}

impl Text for SalesText {
    fn both(self) -> [&'static str; 2] {
        use SalesText::*;
        match self {
            Products => ["Products", "Produk"],
            PriceLists => ["Price lists", "Daftar harga"],
            Sku => ["SKU", "SKU"],
            Name => ["Name", "Nama"],
            NameEn => ["Name (English)", "Nama (Inggris)"],
            NameId => ["Name (Indonesian)", "Nama (Indonesia)"],
            Unit => ["Unit", "Satuan"],
            Category => ["Category", "Kategori"],
            ListPrice => ["List price", "Harga daftar"],
            CostPrice => ["Cost price", "Harga pokok"],
            Currency => ["Currency", "Mata uang"],
            TaxRate => ["Tax rate", "Tarif pajak"],
            Status => ["Status", "Status"],
            Price => ["Price", "Harga"],
            ValidFrom => ["Valid from", "Berlaku dari"],
            ValidUntil => ["Valid until", "Berlaku sampai"],
            Segment => ["Segment", "Segmen"],
            Territory => ["Territory", "Wilayah"],
            NewProduct => ["New product", "Produk baru"],
            NewPriceList => ["New price list", "Daftar harga baru"],
            AddPrice => ["Add price", "Tambah harga"],
            Edit => ["Edit", "Ubah"],
            ImportCsv => ["Import CSV", "Impor CSV"],
            ExportCsv => ["Export CSV", "Ekspor CSV"],
            Imported => ["Imported", "Diimpor"],
            New => ["new", "baru"],
            Changed => ["changed", "diubah"],
            Unchanged => ["unchanged", "tetap"],
            ImportRefused => [
                "Nothing was imported: fix these rows and try again",
                "Tidak ada yang diimpor: perbaiki baris berikut lalu coba lagi",
            ],
            Row => ["Row", "Baris"],
            Field => ["Field", "Kolom"],
            Stale => [
                "Someone changed this meanwhile: reload to see their change, then edit again",
                "Orang lain mengubah data ini sementara itu: muat ulang untuk melihatnya, lalu ubah lagi",
            ],
            SaveFailed => ["Could not save", "Tidak dapat menyimpan"],
            ToReview => [
                "flagged for review by an import",
                "ditandai untuk ditinjau oleh impor",
            ],
            Settings => ["Sales settings", "Pengaturan penjualan"],
            CompanyName => ["Company name", "Nama perusahaan"],
            CompanyAddress => ["Company address", "Alamat perusahaan"],
            LogoUrl => ["Logo (URL)", "Logo (URL)"],
            DefaultTerms => ["Default terms", "Syarat baku"],
            LimitRep => [
                "Discount limit, sales rep (%)",
                "Batas diskon, tenaga penjual (%)",
            ],
            LimitManager => ["Discount limit, manager (%)", "Batas diskon, manajer (%)"],
            LimitAdmin => ["Discount limit, admin (%)", "Batas diskon, admin (%)"],
            QuoteNo => ["Quote", "Penawaran"],
            Revision => ["revision", "revisi"],
            Revisions => ["Revisions", "Revisi"],
            Account => ["Customer", "Pelanggan"],
            Deal => ["Deal", "Peluang"],
            Lines => ["Lines", "Baris"],
            Quantity => ["Quantity", "Jumlah"],
            UnitPrice => ["Unit price", "Harga satuan"],
            Discount => ["Discount", "Diskon"],
            Net => ["Net", "Neto"],
            Tax => ["Tax", "Pajak"],
            Total => ["Total", "Total"],
            Subtotal => ["Subtotal", "Subtotal"],
            Margin => ["Margin", "Margin"],
            Cost => ["Cost of goods", "Harga pokok penjualan"],
            AddLine => ["Add", "Tambah"],
            SearchProducts => [
                "Search the catalogue by SKU or name",
                "Cari katalog menurut SKU atau nama",
            ],
            Remove => ["Remove", "Hapus"],
            SaveLines => ["Save quote", "Simpan penawaran"],
            NeedsApproval => [
                "Needs a manager's approval: a discount is beyond your limit",
                "Perlu persetujuan manajer: ada diskon di atas batas Anda",
            ],
            Approve => ["Approve discounts", "Setujui diskon"],
            Approved => ["Discounts approved", "Diskon disetujui"],
            Send => ["Mark as sent", "Tandai terkirim"],
            Accept => ["Customer accepted", "Pelanggan menerima"],
            Reject => ["Customer rejected", "Pelanggan menolak"],
            Revise => ["Revise (new revision)", "Revisi (versi baru)"],
            Print => ["Print proposal", "Cetak proposal"],
            PrintNow => ["Print", "Cetak"],
            Frozen => [
                "This revision was sent and is frozen: revise it to change anything",
                "Revisi ini sudah dikirim dan dibekukan: buat revisi untuk mengubahnya",
            ],
            NewQuote => ["New quote", "Penawaran baru"],
            CreateQuote => ["Create the quote", "Buat penawaran"],
            NewOrder => ["New order", "Pesanan baru"],
            CreateOrder => ["Enter the order", "Simpan pesanan"],
            PricedOnSave => [
                "Prices come from the applicable price list on the order date when the order is saved; type a price only to override it",
                "Harga diambil dari daftar harga yang berlaku pada tanggal pesanan saat disimpan; isi harga hanya untuk menggantinya",
            ],
            FindAccount => ["Find the customer by name", "Cari pelanggan menurut nama"],
            NoLines => ["Add at least one product", "Tambahkan minimal satu produk"],
            ChangeAccount => ["Another customer", "Pelanggan lain"],
            OrderMade => ["The order made from it", "Pesanan dari penawaran ini"],
            OpenOrder => ["Open the order", "Buka pesanan"],
            Terms => ["Terms", "Syarat dan ketentuan"],
            Proposal => ["Proposal", "Proposal penawaran"],
            PreparedFor => ["Prepared for", "Disiapkan untuk"],
            Date => ["Date", "Tanggal"],
            Orders => ["Orders", "Pesanan"],
            Quotes => ["Quotes", "Penawaran"],
            OrderDate => ["Order date", "Tanggal pesanan"],
            Return => ["Record a return", "Catat retur"],
            ReturnOf => ["return of line", "retur baris"],
            Returned => ["Return recorded", "Retur dicatat"],
            MarkDelivered => ["Mark delivered", "Tandai terkirim"],
            MarkInvoiced => ["Mark invoiced", "Tandai ditagih"],
            CancelOrder => ["Cancel the order", "Batalkan pesanan"],
            RevenueToDate => ["Revenue to date", "Pendapatan hingga kini"],
            NoneYet => ["None yet", "Belum ada"],
            AllStatuses => ["All statuses", "Semua status"],
            PdfNote => [
                "To keep a PDF, choose \u{201c}Save as PDF\u{201d} in the print dialog.",
                "Untuk menyimpan PDF, pilih \u{201c}Simpan sebagai PDF\u{201d} di dialog cetak.",
            ],
            BackToQuote => ["Back to the quote", "Kembali ke penawaran"],
            OpenDeals => ["Open deals", "Peluang terbuka"],
            Saved => ["Saved", "Tersimpan"],
            Draft => ["Draft", "Draf"],
            Sent => ["Sent", "Terkirim"],
            Accepted => ["Accepted", "Diterima"],
            Rejected => ["Rejected", "Ditolak"],
            Expired => ["Expired", "Kedaluwarsa"],
            Superseded => ["Superseded", "Digantikan"],
            Open => ["Open", "Terbuka"],
            Delivered => ["Delivered", "Terkirim"],
            Invoiced => ["Invoiced", "Ditagih"],
            Cancelled => ["Cancelled", "Dibatalkan"],
            Active => ["Active", "Aktif"],
            Inactive => ["Inactive", "Nonaktif"],
            Review => ["To review", "Perlu ditinjau"],
            UnitPiece => ["piece", "buah"],
            UnitBox => ["box", "kotak"],
            UnitPack => ["pack", "pak"],
            UnitKg => ["kg", "kg"],
            UnitG => ["g", "g"],
            UnitL => ["litre", "liter"],
            UnitMl => ["ml", "ml"],
            UnitM => ["m", "m"],
            UnitM2 => ["m²", "m²"],
            UnitHour => ["hour", "jam"],
            UnitDay => ["day", "hari"],
            UnitMonth => ["month", "bulan"],
            UnitService => ["service", "layanan"],
        }
    }
}

/// The label of a stored status (quote, order or product); an unknown one reads as its
/// nearest neutral label rather than as a raw code.
pub fn status_text(status: &str) -> SalesText {
    use SalesText::*;
    match status {
        "draft" => Draft,
        "sent" => Sent,
        "accepted" => Accepted,
        "rejected" => Rejected,
        "expired" => Expired,
        "superseded" => Superseded,
        "open" => Open,
        "delivered" => Delivered,
        "invoiced" => Invoiced,
        "cancelled" => Cancelled,
        "active" => Active,
        "inactive" => Inactive,
        "review" => Review,
        _ => Status,
    }
}

/// The units a product may be sold in (`Unit` of the catalogue), with their labels.
pub const UNITS: &[(&str, SalesText)] = &[
    ("piece", SalesText::UnitPiece),
    ("box", SalesText::UnitBox),
    ("pack", SalesText::UnitPack),
    ("kg", SalesText::UnitKg),
    ("g", SalesText::UnitG),
    ("l", SalesText::UnitL),
    ("ml", SalesText::UnitMl),
    ("m", SalesText::UnitM),
    ("m2", SalesText::UnitM2),
    ("hour", SalesText::UnitHour),
    ("day", SalesText::UnitDay),
    ("month", SalesText::UnitMonth),
    ("service", SalesText::UnitService),
];

pub fn unit_text(unit: &str) -> SalesText {
    UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map_or(SalesText::UnitPiece, |(_, t)| *t)
}

// ---- formatting ---------------------------------------------------------------------------

/// Basis points as a percentage in the chosen language: 1100 → "11%" / "11 %", 1250 → "12.5%" /
/// "12,5%".
pub fn format_bp(bp: i64, locale: Locale) -> String {
    let whole = bp / 100;
    let rest = (bp % 100).abs();
    let mut text = if rest == 0 {
        whole.to_string()
    } else if rest % 10 == 0 {
        format!("{whole}.{}", rest / 10)
    } else {
        format!("{whole}.{rest:02}")
    };
    if locale == Locale::Id {
        text = text.replace('.', ",");
    }
    format!("{text}%")
}

/// A quantity in thousandths as a decimal in the chosen language: 1500 → "1.5" / "1,5".
pub fn format_quantity(milli: i64, locale: Locale) -> String {
    let sign = if milli < 0 { "-" } else { "" };
    let abs = milli.unsigned_abs();
    let (whole, frac) = (abs / 1000, abs % 1000);
    let mut text = if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let f = format!("{frac:03}");
        format!("{sign}{whole}.{}", f.trim_end_matches('0'))
    };
    if locale == Locale::Id {
        text = text.replace('.', ",");
    }
    text
}

/// A quantity typed by the user (`1,5` or `1.5`) in thousandths.
pub fn parse_quantity(text: &str) -> Option<i64> {
    wilayah_shared::money::parse_quantity_milli(&text.trim().replace(',', ".")).ok()
}

/// A percentage typed by the user (`12,5`) in basis points.
pub fn parse_percent(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('%').trim().replace(',', ".");
    if text.is_empty() {
        return Some(0);
    }
    let milli = wilayah_shared::money::parse_quantity_milli(&text).ok()?;
    (milli % 10 == 0 && (0..=100_000).contains(&milli)).then_some(milli / 10)
}

/// A `YYYY-MM-DD` date (or a timestamp starting with one) the way every page writes dates in
/// the chosen language (`crate::format_date_in`); text that is no date is shown as it is.
pub fn format_date(iso: &str, locale: Locale) -> String {
    match iso.get(0..10).and_then(|day| day.parse().ok()) {
        Some(date) => crate::format_date_in(locale, date),
        None => iso.to_owned(),
    }
}

fn int(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or_default()
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn money(v: &Value, key: &str, currency: &str) -> String {
    format_money(int(v, key), currency)
}

// ---- the REST API, from the browser ---------------------------------------------------------

/// An answer of the REST API: status and JSON body.
type Answer = Result<(u16, Value), String>;

/// Calls the REST API from the browser (with the CSRF header on writes); on the server, where
/// these pages load nothing, an error.
async fn call(method: &str, url: &str, body: Option<Value>) -> Answer {
    #[cfg(feature = "hydrate")]
    {
        crate::draw::fetch_json(method, url, body.as_ref(), &[]).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, url, body);
        Err("not in a browser".into())
    }
}

/// Sends a CSV file's text.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
async fn send_csv(url: &str, csv: String) -> Answer {
    #[cfg(feature = "hydrate")]
    {
        let request = crate::auth::post(url)
            .header("content-type", "text/csv")
            .body(csv)
            .map_err(|e| e.to_string())?;
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (url, csv);
        Err("not in a browser".into())
    }
}

/// Runs `work` in the browser once the page is hydrated; nothing on the server.
fn in_browser<F>(work: impl FnOnce() -> F + 'static)
where
    F: std::future::Future<Output = ()> + 'static,
{
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(work());
    #[cfg(not(feature = "hydrate"))]
    let _ = work;
}

/// What a refused request says to the user, in their language: 409 is a stale edit; other
/// refusals name the field (or rows) with the server's reason.
fn refusal(status: u16, body: &Value, locale: Locale) -> String {
    if status == 409 {
        return SalesText::Stale.text(locale).to_owned();
    }
    let mut parts = vec![format!(
        "{} (HTTP {status})",
        SalesText::SaveFailed.text(locale)
    )];
    if let Some(field) = body["field"].as_str() {
        parts.push(format!("{}: {field}", SalesText::Field.text(locale)));
    }
    if let Some(message) = body["error"].as_str() {
        parts.push(message.to_owned());
    }
    for e in body["errors"].as_array().into_iter().flatten().take(20) {
        parts.push(row_error(e, locale));
    }
    parts.join(" · ")
}

fn row_error(e: &Value, locale: Locale) -> String {
    let row = e["row"]
        .as_i64()
        .map(|r| format!("{} {r}", SalesText::Row.text(locale)));
    let field = e["field"]
        .as_str()
        .map(|f| format!("{} {f}", SalesText::Field.text(locale)));
    let head: Vec<String> = [row, field].into_iter().flatten().collect();
    format!("{}: {}", head.join(", "), text(e, "message"))
}

fn navigate_to(url: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

fn caller_role() -> Option<Role> {
    use_signed_in().map(|c| c.role)
}

/// A product of the catalogue, as the pages show it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProductRow {
    pub id: i64,
    pub version: i64,
    pub sku: String,
    pub name_en: String,
    pub name_id: Option<String>,
    pub unit: String,
    pub category: Option<String>,
    pub list_price_minor: i64,
    pub cost_price_minor: i64,
    pub currency: String,
    pub tax_rate_bp: i64,
    pub status: String,
}

impl ProductRow {
    /// The name in the chosen language (the English one when there is no Indonesian name).
    pub fn name(&self, locale: Locale) -> String {
        match (locale, &self.name_id) {
            (Locale::Id, Some(n)) if !n.is_empty() => n.clone(),
            _ => self.name_en.clone(),
        }
    }

    /// Whether it matches a search by SKU or name (either language), ignoring case.
    pub fn matches(&self, query: &str) -> bool {
        let q = query.trim().to_lowercase();
        q.is_empty()
            || self.sku.to_lowercase().contains(&q)
            || self.name_en.to_lowercase().contains(&q)
            || self
                .name_id
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(&q))
    }
}

async fn load_products(active_only: bool) -> Vec<ProductRow> {
    let url = if active_only {
        "/api/v1/products?status=active&sort=sku&limit=1000"
    } else {
        "/api/v1/products?sort=sku&limit=1000"
    };
    match call("GET", url, None).await {
        Ok((200, page)) => serde_json::from_value(page["items"].clone()).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A status as a coloured badge.
#[component]
fn Badge(status: String) -> impl IntoView {
    let label = tr(status_text(&status));
    view! { <span class=format!("badge badge-{status}") data-testid="status">{label}</span> }
}

#[component]
fn Message(text: RwSignal<Option<(bool, String)>>) -> impl IntoView {
    move || {
        text.get().map(|(ok, t)| {
            let class = if ok { "notice ok" } else { "notice error" };
            view! { <p class=class data-testid="sales-message" role="status">{t}</p> }
        })
    }
}

// ---- the catalogue ------------------------------------------------------------------------

/// `/catalogue`: products and price lists; admins edit them and the sales settings, managers
/// read them and export the CSV.
#[component]
pub fn CataloguePage() -> impl IntoView {
    let locale = use_locale();
    let admin = caller_role() == Some(Role::Admin);
    let products = RwSignal::new(Vec::<ProductRow>::new());
    let lists = RwSignal::new(Vec::<Value>::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let editing = RwSignal::new(None::<ProductRow>);
    let reload = move || {
        in_browser(move || async move {
            products.set(load_products(false).await);
            if let Ok((200, page)) = call("GET", "/api/v1/price_lists?limit=1000", None).await {
                lists.set(page["items"].as_array().cloned().unwrap_or_default());
            }
        })
    };
    Effect::new(move |_| reload());

    let import = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(file) = crate::draw::picked_file(&ev) {
            in_browser(move || async move {
                let csv = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                    .unwrap_or_default();
                let l = locale.get_untracked();
                match send_csv("/api/v1/products/import", csv).await {
                    Ok((201, answer)) => {
                        let count = |k: &str| answer[k].as_array().map_or(0, Vec::len);
                        message.set(Some((
                            true,
                            format!(
                                "{}: {} {} · {} {} · {} {}",
                                SalesText::Imported.text(l),
                                count("created"),
                                SalesText::New.text(l),
                                count("updated"),
                                SalesText::Changed.text(l),
                                int(&answer, "unchanged"),
                                SalesText::Unchanged.text(l)
                            ),
                        )));
                        reload();
                    }
                    Ok((_, body)) if body["errors"].is_array() => {
                        let rows: Vec<String> = body["errors"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|e| row_error(e, l))
                            .collect();
                        message.set(Some((
                            false,
                            format!(
                                "{} — {}",
                                SalesText::ImportRefused.text(l),
                                rows.join(" · ")
                            ),
                        )));
                    }
                    Ok((status, body)) => message.set(Some((false, refusal(status, &body, l)))),
                    Err(e) => message.set(Some((false, e))),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, message, reload);
    };

    let rows = move || {
        let l = locale.get();
        products
            .get()
            .into_iter()
            .map(|p| {
                let review = p.status == "review";
                let currency = p.currency.clone();
                let edit = p.clone();
                view! {
                    <tr class:review=review data-testid="product-row">
                        <td>{p.sku.clone()}</td>
                        <td>{p.name(l)} {review.then(|| view! { <small class="review-note">" — " {tr(SalesText::ToReview)}</small> })}</td>
                        <td>{tr(unit_text(&p.unit))}</td>
                        <td>{p.category.clone().unwrap_or_default()}</td>
                        <td class="num">{format_money(p.list_price_minor, &currency)}</td>
                        <td class="num">{format_money(p.cost_price_minor, &currency)}</td>
                        <td class="num">{format_bp(p.tax_rate_bp, l)}</td>
                        <td><Badge status=p.status.clone() /></td>
                        <td>
                            {admin.then(|| view! {
                                <button class="action subtle" data-testid="edit-product"
                                    on:click=move |_| editing.set(Some(edit.clone()))>
                                    {tr(SalesText::Edit)}
                                </button>
                            })}
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let new_product = move |_: leptos::ev::MouseEvent| {
        editing.set(Some(ProductRow {
            id: 0,
            version: 0,
            sku: String::new(),
            name_en: String::new(),
            name_id: None,
            unit: "piece".into(),
            category: None,
            list_price_minor: 0,
            cost_price_minor: 0,
            currency: "IDR".into(),
            tax_rate_bp: 1100,
            status: "active".into(),
        }))
    };

    view! {
        <div class="sales-page">
            <crate::Header title=Msg::NavCatalogue />
            <main class="sales-main" data-testid="catalogue-page">
                <section class="panel">
                    <div class="section-head">
                        <h2>{tr(SalesText::Products)}</h2>
                        <div class="panel-actions">
                            {admin.then(|| view! {
                                <button class="action primary" data-testid="new-product" on:click=new_product>
                                    {tr(SalesText::NewProduct)}
                                </button>
                                <label class="action file-action">
                                    {tr(SalesText::ImportCsv)}
                                    <input type="file" accept=".csv,text/csv" data-testid="import-products" on:change=import />
                                </label>
                            })}
                            <a class="action subtle" href="/api/v1/products/export" download data-testid="export-products">
                                {tr(SalesText::ExportCsv)}
                            </a>
                        </div>
                    </div>
                    <Message text=message />
                    {move || editing.get().map(|p| view! { <ProductForm product=p editing message on_saved=reload /> })}
                    <div class="table-wrap">
                        <table class="sales-table" data-testid="products">
                            <thead><tr>
                                <th>{tr(SalesText::Sku)}</th><th>{tr(SalesText::Name)}</th><th>{tr(SalesText::Unit)}</th>
                                <th>{tr(SalesText::Category)}</th><th class="num">{tr(SalesText::ListPrice)}</th>
                                <th class="num">{tr(SalesText::CostPrice)}</th><th class="num">{tr(SalesText::TaxRate)}</th>
                                <th>{tr(SalesText::Status)}</th><th></th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                </section>
                <PriceListsSection lists products admin on_saved=reload />
                {admin.then(|| view! { <SettingsSection /> })}
            </main>
        </div>
    }
}

/// Creates or edits a product (admins); a stale edit says so in the user's language.
#[component]
fn ProductForm(
    product: ProductRow,
    editing: RwSignal<Option<ProductRow>>,
    message: RwSignal<Option<(bool, String)>>,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let locale = use_locale();
    let p = product.clone();
    let sku = RwSignal::new(p.sku.clone());
    let name_en = RwSignal::new(p.name_en.clone());
    let name_id = RwSignal::new(p.name_id.clone().unwrap_or_default());
    let unit = RwSignal::new(p.unit.clone());
    let category = RwSignal::new(p.category.clone().unwrap_or_default());
    let list_price = RwSignal::new(p.list_price_minor.to_string());
    let cost_price = RwSignal::new(p.cost_price_minor.to_string());
    let currency = RwSignal::new(p.currency.clone());
    let tax = RwSignal::new(
        format_bp(p.tax_rate_bp, Locale::En)
            .trim_end_matches('%')
            .to_owned(),
    );
    let status = RwSignal::new(p.status.clone());
    let (id, version) = (p.id, p.version);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = locale.get_untracked();
        let opt = |s: String| (!s.trim().is_empty()).then_some(s);
        let mut body = json!({
            "name_en": name_en.get_untracked(),
            "name_id": opt(name_id.get_untracked()),
            "unit": unit.get_untracked(),
            "category": opt(category.get_untracked()),
            "list_price_minor": list_price.get_untracked().trim().parse::<i64>().ok(),
            "cost_price_minor": cost_price.get_untracked().trim().parse::<i64>().ok(),
            "currency": currency.get_untracked(),
            "tax_rate_bp": parse_percent(&tax.get_untracked()),
            "status": status.get_untracked(),
        });
        let (method, url) = if id == 0 {
            body["sku"] = sku.get_untracked().into();
            ("POST", "/api/v1/products".to_owned())
        } else {
            body["version"] = version.into();
            ("PATCH", format!("/api/v1/products/{id}"))
        };
        in_browser(move || async move {
            match call(method, &url, Some(body)).await {
                Ok((200 | 201, _)) => {
                    message.set(Some((true, SalesText::Saved.text(l).to_owned())));
                    editing.set(None);
                    on_saved();
                }
                Ok((status, body)) => message.set(Some((false, refusal(status, &body, l)))),
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let input = |label: SalesText, value: RwSignal<String>, testid: &'static str| {
        view! {
            <label>
                <span>{tr(label)}</span>
                <input data-testid=testid prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
        }
    };
    let units = UNITS
        .iter()
        .map(|(u, t)| view! { <option value=*u selected={p.unit == *u}>{tr(*t)}</option> })
        .collect_view();
    let statuses = ["active", "inactive", "review"]
        .into_iter()
        .map(|s| view! { <option value=s selected={p.status == s}>{tr(status_text(s))}</option> })
        .collect_view();
    view! {
        <form class="panel-form grid-form" data-testid="product-form" on:submit=save>
            {if id == 0 { input(SalesText::Sku, sku, "product-sku").into_any() } else {
                view! { <p><strong>{p.sku.clone()}</strong></p> }.into_any()
            }}
            {input(SalesText::NameEn, name_en, "product-name-en")}
            {input(SalesText::NameId, name_id, "product-name-id")}
            <label>
                <span>{tr(SalesText::Unit)}</span>
                <select on:change=move |ev| unit.set(event_target_value(&ev))>{units}</select>
            </label>
            {input(SalesText::Category, category, "product-category")}
            {input(SalesText::ListPrice, list_price, "product-list-price")}
            {input(SalesText::CostPrice, cost_price, "product-cost-price")}
            {input(SalesText::Currency, currency, "product-currency")}
            {input(SalesText::TaxRate, tax, "product-tax")}
            <label>
                <span>{tr(SalesText::Status)}</span>
                <select data-testid="product-status" on:change=move |ev| status.set(event_target_value(&ev))>{statuses}</select>
            </label>
            <div class="panel-actions">
                <button class="action primary" type="submit" data-testid="save-product">{tr(Msg::Save)}</button>
                <button class="action subtle" type="button" on:click=move |_| editing.set(None)>{tr(Msg::Cancel)}</button>
            </div>
        </form>
    }
}

/// Price lists with their per-product prices and validity; admins add and change them.
#[component]
fn PriceListsSection(
    lists: RwSignal<Vec<Value>>,
    products: RwSignal<Vec<ProductRow>>,
    admin: bool,
    on_saved: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let locale = use_locale();
    let open = RwSignal::new(None::<i64>);
    let items = RwSignal::new(Vec::<Value>::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let load_items = move |list: i64| {
        in_browser(move || async move {
            let url = format!("/api/v1/price_list_items?price_list_id={list}&limit=1000");
            if let Ok((200, page)) = call("GET", &url, None).await {
                items.set(page["items"].as_array().cloned().unwrap_or_default());
            }
        })
    };
    // A new list, or the list being edited: name, currency, segment, validity.
    let form = RwSignal::new(None::<Value>);
    let save_list = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(list) = form.get_untracked() else {
            return;
        };
        let l = locale.get_untracked();
        let id = int(&list, "id");
        let opt = |k: &str| {
            list[k]
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
        };
        let mut body = json!({
            "name": text(&list, "name"), "currency": text(&list, "currency"),
            "segment": opt("segment"), "valid_from": text(&list, "valid_from"),
            "valid_until": opt("valid_until"),
        });
        let (method, url) = if id == 0 {
            ("POST", "/api/v1/price_lists".to_owned())
        } else {
            body["version"] = list["version"].clone();
            ("PATCH", format!("/api/v1/price_lists/{id}"))
        };
        in_browser(move || async move {
            match call(method, &url, Some(body)).await {
                Ok((200 | 201, _)) => {
                    message.set(Some((true, SalesText::Saved.text(l).to_owned())));
                    form.set(None);
                    on_saved();
                }
                Ok((status, body)) => message.set(Some((false, refusal(status, &body, l)))),
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let field = move |label: SalesText, key: &'static str, kind: &'static str| {
        view! {
            <label>
                <span>{tr(label)}</span>
                <input type=kind data-testid=format!("list-{key}")
                    prop:value=move || form.with(|f| f.as_ref().map(|f| text(f, key)).unwrap_or_default())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        form.update(|f| if let Some(f) = f { f[key] = v.into(); });
                    } />
            </label>
        }
    };
    // A price of a product on the open list (add or change).
    let price_product = RwSignal::new(String::new());
    let price_value = RwSignal::new(String::new());
    let save_price = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(list) = open.get_untracked() else {
            return;
        };
        let l = locale.get_untracked();
        let product_id: i64 = price_product.get_untracked().parse().unwrap_or_default();
        let price: Option<i64> = price_value.get_untracked().trim().parse().ok();
        let existing = items.with_untracked(|items| {
            items
                .iter()
                .find(|i| int(i, "product_id") == product_id)
                .cloned()
        });
        let (method, url, body) = match existing {
            Some(item) => (
                "PATCH",
                format!("/api/v1/price_list_items/{}", int(&item, "id")),
                json!({"version": item["version"], "price_minor": price}),
            ),
            None => (
                "POST",
                "/api/v1/price_list_items".to_owned(),
                json!({"price_list_id": list, "product_id": product_id, "price_minor": price}),
            ),
        };
        in_browser(move || async move {
            match call(method, &url, Some(body)).await {
                Ok((200 | 201, _)) => {
                    message.set(Some((true, SalesText::Saved.text(l).to_owned())));
                    price_value.set(String::new());
                    load_items(list);
                }
                Ok((status, body)) => message.set(Some((false, refusal(status, &body, l)))),
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let list_rows = move || {
        let l = locale.get();
        lists
            .get()
            .into_iter()
            .map(|list| {
                let id = int(&list, "id");
                let edit = list.clone();
                let until = list["valid_until"]
                    .as_str()
                    .map(|d| format_date(d, l))
                    .unwrap_or_else(|| "—".into());
                view! {
                    <tr data-testid="price-list-row" class:current=move || open.get() == Some(id)>
                        <td>
                            <button class="link-button" data-testid="open-price-list"
                                on:click=move |_| { open.set(Some(id)); load_items(id); }>
                                {text(&list, "name")}
                            </button>
                        </td>
                        <td>{text(&list, "currency")}</td>
                        <td>{list["segment"].as_str().unwrap_or("—").to_owned()}</td>
                        <td>{format_date(&text(&list, "valid_from"), l)}</td>
                        <td>{until}</td>
                        <td>{admin.then(|| view! {
                            <button class="action subtle" on:click=move |_| form.set(Some(edit.clone()))>{tr(SalesText::Edit)}</button>
                        })}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let item_rows = move || {
        let l = locale.get();
        let all = products.get();
        items
            .get()
            .into_iter()
            .map(|item| {
                let product = all.iter().find(|p| p.id == int(&item, "product_id"));
                let (sku, name, currency) = product
                    .map(|p| (p.sku.clone(), p.name(l), p.currency.clone()))
                    .unwrap_or_default();
                view! {
                    <tr data-testid="price-row">
                        <td>{sku}</td><td>{name}</td>
                        <td class="num">{format_money(int(&item, "price_minor"), &currency)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let product_options = move || {
        let l = locale.get();
        products
            .get()
            .into_iter()
            .map(|p| view! { <option value=p.id.to_string()>{format!("{} · {}", p.sku, p.name(l))}</option> })
            .collect_view()
    };
    view! {
        <section class="panel" data-testid="price-lists">
            <div class="section-head">
                <h2>{tr(SalesText::PriceLists)}</h2>
                {admin.then(|| view! {
                    <button class="action primary" data-testid="new-price-list" on:click=move |_| form.set(Some(json!({
                        "id": 0, "name": "", "currency": "IDR", "segment": "", "valid_from": crate::local_date_in(0), "valid_until": ""
                    })))>{tr(SalesText::NewPriceList)}</button>
                })}
            </div>
            <Message text=message />
            <Show when=move || form.with(Option::is_some)>
                <form class="panel-form grid-form" data-testid="price-list-form" on:submit=save_list>
                    {field(SalesText::Name, "name", "text")}
                    {field(SalesText::Currency, "currency", "text")}
                    {field(SalesText::Segment, "segment", "text")}
                    {field(SalesText::ValidFrom, "valid_from", "date")}
                    {field(SalesText::ValidUntil, "valid_until", "date")}
                    <div class="panel-actions">
                        <button class="action primary" type="submit" data-testid="save-price-list">{tr(Msg::Save)}</button>
                        <button class="action subtle" type="button" on:click=move |_| form.set(None)>{tr(Msg::Cancel)}</button>
                    </div>
                </form>
            </Show>
            <div class="table-wrap">
                <table class="sales-table">
                    <thead><tr>
                        <th>{tr(SalesText::Name)}</th><th>{tr(SalesText::Currency)}</th><th>{tr(SalesText::Segment)}</th>
                        <th>{tr(SalesText::ValidFrom)}</th><th>{tr(SalesText::ValidUntil)}</th><th></th>
                    </tr></thead>
                    <tbody>{list_rows}</tbody>
                </table>
            </div>
            <Show when=move || open.get().is_some()>
                <h3>{tr(SalesText::Products)}</h3>
                <table class="sales-table" data-testid="price-list-items">
                    <thead><tr><th>{tr(SalesText::Sku)}</th><th>{tr(SalesText::Name)}</th><th class="num">{tr(SalesText::Price)}</th></tr></thead>
                    <tbody>{item_rows}</tbody>
                </table>
                {admin.then(|| view! {
                    <form class="inline-form" data-testid="price-form" on:submit=save_price>
                        <select data-testid="price-product" on:change=move |ev| price_product.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {product_options}
                        </select>
                        <input type="number" min="0" data-testid="price-value" prop:value=move || price_value.get()
                            on:input=move |ev| price_value.set(event_target_value(&ev)) />
                        <button class="action primary" type="submit">{tr(SalesText::AddPrice)}</button>
                    </form>
                })}
            </Show>
        </section>
    }
}

/// The admin's sales settings: the company a proposal prints and each role's discount limit.
#[component]
fn SettingsSection() -> impl IntoView {
    let locale = use_locale();
    let version = RwSignal::new(0_i64);
    let fields: [(SalesText, &'static str, RwSignal<String>); 4] = [
        (
            SalesText::CompanyName,
            "company_name",
            RwSignal::new(String::new()),
        ),
        (
            SalesText::CompanyAddress,
            "company_address",
            RwSignal::new(String::new()),
        ),
        (SalesText::LogoUrl, "logo_url", RwSignal::new(String::new())),
        (
            SalesText::DefaultTerms,
            "default_terms",
            RwSignal::new(String::new()),
        ),
    ];
    let limits: [(SalesText, &'static str, RwSignal<String>); 3] = [
        (
            SalesText::LimitRep,
            "sales_rep_bp",
            RwSignal::new(String::new()),
        ),
        (
            SalesText::LimitManager,
            "manager_bp",
            RwSignal::new(String::new()),
        ),
        (
            SalesText::LimitAdmin,
            "admin_bp",
            RwSignal::new(String::new()),
        ),
    ];
    let message = RwSignal::new(None::<(bool, String)>);
    let fill = move |answer: &Value| {
        version.set(int(answer, "version"));
        let s = &answer["settings"];
        for (_, key, signal) in fields {
            signal.set(text(s, key));
        }
        for (_, key, signal) in limits {
            let bp = int(&s["discount_limits"], key);
            signal.set(format_bp(bp, Locale::En).trim_end_matches('%').to_owned());
        }
    };
    Effect::new(move |_| {
        in_browser(move || async move {
            if let Ok((200, answer)) = call("GET", "/api/v1/sales/settings", None).await {
                fill(&answer);
            }
        })
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = locale.get_untracked();
        let mut settings = serde_json::Map::new();
        for (_, key, signal) in fields {
            let v = signal.get_untracked();
            settings.insert(
                key.into(),
                if v.trim().is_empty() && key != "company_name" {
                    Value::Null
                } else {
                    v.into()
                },
            );
        }
        let mut discount = serde_json::Map::new();
        for (_, key, signal) in limits {
            discount.insert(key.into(), parse_percent(&signal.get_untracked()).into());
        }
        settings.insert("discount_limits".into(), Value::Object(discount));
        let body = json!({"version": version.get_untracked(), "settings": settings});
        in_browser(move || async move {
            match call("PUT", "/api/v1/sales/settings", Some(body)).await {
                Ok((200, answer)) => {
                    fill(&answer);
                    message.set(Some((true, SalesText::Saved.text(l).to_owned())));
                }
                Ok((status, body)) => message.set(Some((false, refusal(status, &body, l)))),
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    let inputs = fields
        .into_iter()
        .chain(limits)
        .map(|(label, key, signal)| {
            view! {
                <label>
                    <span>{tr(label)}</span>
                    <input data-testid=format!("setting-{key}") prop:value=move || signal.get()
                        on:input=move |ev| signal.set(event_target_value(&ev)) />
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="panel" data-testid="sales-settings">
            <h2>{tr(SalesText::Settings)}</h2>
            <Message text=message />
            <form class="panel-form grid-form" on:submit=save>
                {inputs}
                <div class="panel-actions">
                    <button class="action primary" type="submit" data-testid="save-settings">{tr(Msg::Save)}</button>
                </div>
            </form>
        </section>
    }
}

// ---- quotes -------------------------------------------------------------------------------

/// The id in the page's path (`/quotes/{id}`, `/orders/{id}`), or `None` for `new`.
fn path_id() -> Memo<Option<i64>> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.with(|p| p.get("id")).and_then(|id| id.parse().ok()))
}

fn query_param(name: &'static str) -> Memo<Option<String>> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| query.with(|q| q.get(name)))
}

/// One line being edited on a draft: the product and what the user typed.
#[derive(Debug, Clone, PartialEq)]
struct DraftLine {
    product_id: i64,
    sku: String,
    quantity: String,
    /// The applicable price the server gave (0 for a line not yet priced).
    applicable_minor: i64,
    unit_price: String,
    discount: String,
}

impl DraftLine {
    fn of(line: &Value, locale: Locale) -> Self {
        DraftLine {
            product_id: int(line, "product_id"),
            sku: text(line, "sku"),
            quantity: format_quantity(int(line, "quantity_milli"), locale),
            applicable_minor: int(line, "applicable_price_minor"),
            unit_price: int(line, "unit_price_minor").to_string(),
            discount: format_bp(int(line, "discount_bp"), locale)
                .trim_end_matches('%')
                .to_owned(),
        }
    }

    /// The line as the API takes it: the unit price only when it differs from the applicable
    /// one (an override); `None` when something typed is not a number.
    fn input(&self) -> Option<Value> {
        let quantity_milli = parse_quantity(&self.quantity)?;
        let price: Option<i64> = match self.unit_price.trim() {
            "" => None,
            p => Some(p.replace('.', "").parse().ok()?),
        };
        let discount_bp = parse_percent(&self.discount)?;
        let mut line = json!({"product_id": self.product_id, "quantity_milli": quantity_milli, "discount_bp": discount_bp});
        if let Some(p) = price.filter(|p| self.applicable_minor == 0 || *p != self.applicable_minor)
        {
            line["unit_price_minor"] = p.into();
        }
        Some(line)
    }
}

/// Whether a line of the quote sells more than `limit_bp` below its applicable price (price
/// override and discount together, as the server counts it: docs/sales.md).
pub fn beyond_limit(quote: &Value, limit_bp: i64) -> bool {
    quote["lines"].as_array().into_iter().flatten().any(|l| {
        let price = i128::from(int(l, "unit_price_minor"));
        let discount = i128::from(int(l, "discount_bp"));
        let applicable = i128::from(int(l, "applicable_price_minor"));
        price * (10_000 - discount) < applicable * (10_000 - i128::from(limit_bp))
    })
}

/// `/quotes/{id}`: the quote builder (a draft) or a sent revision read-only, with its flow;
/// `/quotes/new?deal=ID` starts a quote on a deal.
#[component]
pub fn QuotePage() -> impl IntoView {
    let id = path_id();
    view! {
        <div class="sales-page">
            <crate::Header title=Msg::QuoteTitle />
            <main class="sales-main" data-testid="quote-page">
                {move || match id.get() {
                    Some(id) => view! { <QuoteView id /> }.into_any(),
                    None => view! { <NewQuote /> }.into_any(),
                }}
            </main>
        </div>
    }
}

/// Starts a quote on a deal (its account), valid for 30 days unless changed.
#[component]
fn NewQuote() -> impl IntoView {
    let locale = use_locale();
    let deal_id = query_param("deal");
    let deal = RwSignal::new(None::<Value>);
    let account = RwSignal::new(None::<Value>);
    let valid_until = RwSignal::new(String::new());
    let message = RwSignal::new(None::<(bool, String)>);
    Effect::new(move |_| {
        let Some(deal_id) = deal_id.get() else {
            return;
        };
        in_browser(move || async move {
            valid_until.set(crate::local_date_in(30));
            if let Ok((200, d)) =
                call("GET", &format!("/api/v1/opportunities/{deal_id}"), None).await
            {
                let account_id = int(&d, "account_id");
                deal.set(Some(d));
                if let Ok((200, a)) =
                    call("GET", &format!("/api/v1/accounts/{account_id}"), None).await
                {
                    account.set(Some(a));
                }
            }
        })
    });
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(d) = deal.get_untracked() else {
            return;
        };
        let l = locale.get_untracked();
        let body = json!({
            "account_id": int(&d, "account_id"), "opportunity_id": int(&d, "id"),
            "valid_until": valid_until.get_untracked(), "lines": [],
        });
        in_browser(move || async move {
            match call("POST", "/api/v1/quotes", Some(body)).await {
                Ok((201, q)) => navigate_to(&format!("/quotes/{}", int(&q, "id"))),
                Ok((status, body)) => message.set(Some((false, refusal(status, &body, l)))),
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    view! {
        <section class="panel">
            <h2>{tr(SalesText::NewQuote)}</h2>
            <Message text=message />
            <dl class="facts">
                <dt>{tr(SalesText::Deal)}</dt>
                <dd data-testid="new-quote-deal">{move || deal.get().map(|d| text(&d, "title")).unwrap_or_default()}</dd>
                <dt>{tr(SalesText::Account)}</dt>
                <dd>{move || account.get().map(|a| text(&a, "name")).unwrap_or_default()}</dd>
            </dl>
            <form class="inline-form" on:submit=create>
                <label>
                    <span>{tr(SalesText::ValidUntil)}</span>
                    <input type="date" data-testid="new-quote-valid-until" prop:value=move || valid_until.get()
                        on:input=move |ev| valid_until.set(event_target_value(&ev)) />
                </label>
                <button class="action primary" type="submit" data-testid="create-quote"
                    disabled=move || deal.with(Option::is_none)>
                    {tr(SalesText::CreateQuote)}
                </button>
            </form>
        </section>
    }
}

/// Everything the quote view holds.
#[derive(Clone, Copy)]
struct QuoteState {
    quote: RwSignal<Option<Value>>,
    account: RwSignal<Option<Value>>,
    products: RwSignal<Vec<ProductRow>>,
    lines: RwSignal<Vec<DraftLine>>,
    revisions: RwSignal<Vec<Value>>,
    order: RwSignal<Option<i64>>,
    message: RwSignal<Option<(bool, String)>>,
}

impl QuoteState {
    fn currency(&self) -> String {
        self.quote
            .with(|q| q.as_ref().map(|q| text(q, "currency")))
            .unwrap_or_else(|| "IDR".into())
    }

    fn status(&self) -> String {
        self.quote
            .with(|q| q.as_ref().map(|q| text(q, "status")))
            .unwrap_or_default()
    }

    /// The lines as the API takes them, or `None` (and the message said) when something typed
    /// is not a number.
    fn line_inputs(&self, locale: Locale) -> Option<Vec<Value>> {
        let inputs: Option<Vec<Value>> = self
            .lines
            .with_untracked(|lines| lines.iter().map(DraftLine::input).collect());
        if inputs.is_none() {
            let message = format!(
                "{} · {}",
                SalesText::SaveFailed.text(locale),
                SalesText::Quantity.text(locale)
            );
            self.message.set(Some((false, message)));
        }
        inputs
    }

    /// Takes a quote as answered, with its lines for editing.
    fn take(&self, q: Value, locale: Locale) {
        let lines = q["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| DraftLine::of(l, locale))
            .collect();
        self.lines.set(lines);
        self.quote.set(Some(q));
    }
}

async fn load_quote(state: QuoteState, id: i64, locale: Locale) {
    let Ok((200, q)) = call("GET", &format!("/api/v1/quotes/{id}"), None).await else {
        state
            .message
            .set(Some((false, Msg::LoadFailed.text(locale).to_owned())));
        return;
    };
    let account_id = int(&q, "account_id");
    let quote_no = int(&q, "quote_no");
    let accepted = q["status"] == "accepted";
    state.take(q, locale);
    if let Ok((200, a)) = call("GET", &format!("/api/v1/accounts/{account_id}"), None).await {
        state.account.set(Some(a));
    }
    if let Ok((200, page)) = call(
        "GET",
        &format!("/api/v1/quotes?account_id={account_id}&limit=1000"),
        None,
    )
    .await
    {
        let mut revisions: Vec<Value> = page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| int(r, "quote_no") == quote_no)
            .cloned()
            .collect();
        revisions.sort_by_key(|r| int(r, "revision"));
        state.revisions.set(revisions);
    }
    if accepted
        && let Ok((200, page)) = call(
            "GET",
            &format!("/api/v1/orders?account_id={account_id}&limit=1000"),
            None,
        )
        .await
    {
        let order = page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["quote_id"].as_i64() == Some(id))
            .map(|o| int(o, "id"));
        state.order.set(order);
    }
    state.products.set(load_products(true).await);
}

#[component]
fn QuoteView(id: i64) -> impl IntoView {
    let locale = use_locale();
    let role = caller_role();
    let state = QuoteState {
        quote: RwSignal::new(None),
        account: RwSignal::new(None),
        products: RwSignal::new(Vec::new()),
        lines: RwSignal::new(Vec::new()),
        revisions: RwSignal::new(Vec::new()),
        order: RwSignal::new(None),
        message: RwSignal::new(None),
    };
    Effect::new(move |_| {
        let l = locale.get_untracked();
        in_browser(move || async move { load_quote(state, id, l).await })
    });
    let version = move || {
        state
            .quote
            .with_untracked(|q| q.as_ref().map(|q| q["version"].clone()))
    };
    // Sends a change and takes the answer (a quote, or `{quote, order}` after a move).
    let act = move |method: &'static str, url: String, body: Value| {
        let l = locale.get_untracked();
        in_browser(move || async move {
            match call(method, &url, Some(body)).await {
                Ok((200 | 201, answer)) => {
                    let quote = if answer["quote"].is_object() {
                        answer["quote"].clone()
                    } else {
                        answer
                    };
                    let new_id = int(&quote, "id");
                    if new_id != id {
                        navigate_to(&format!("/quotes/{new_id}"));
                        return;
                    }
                    state
                        .message
                        .set(Some((true, SalesText::Saved.text(l).to_owned())));
                    load_quote(state, id, l).await;
                }
                Ok((status, body)) => state.message.set(Some((false, refusal(status, &body, l)))),
                Err(e) => state.message.set(Some((false, e))),
            }
        });
    };
    let save_lines = move |_: leptos::ev::MouseEvent| {
        let l = locale.get_untracked();
        let Some(inputs) = state.line_inputs(l) else {
            return;
        };
        act(
            "PATCH",
            format!("/api/v1/quotes/{id}"),
            json!({"version": version(), "lines": inputs}),
        );
    };
    let move_to = move |status: &'static str| {
        act(
            "POST",
            format!("/api/v1/quotes/{id}/status"),
            json!({"version": version(), "status": status}),
        )
    };
    let approve = move |_: leptos::ev::MouseEvent| {
        act(
            "POST",
            format!("/api/v1/quotes/{id}/approve"),
            json!({"version": version()}),
        )
    };
    let revise = move |_: leptos::ev::MouseEvent| {
        act(
            "POST",
            format!("/api/v1/quotes/{id}/revise"),
            json!({"version": version(), "valid_until": crate::local_date_in(30)}),
        )
    };
    let is_draft = move || state.status() == "draft";
    let header = move || {
        let l = locale.get();
        state.quote.get().map(|q| {
            let account = state.account.get();
            view! {
                <div class="quote-head">
                    <h2 data-testid="quote-title">
                        {format!("{} #{} · {} {}", SalesText::QuoteNo.text(l), int(&q, "quote_no"), SalesText::Revision.text(l), int(&q, "revision"))}
                    </h2>
                    <Badge status=text(&q, "status") />
                    <dl class="facts">
                        <dt>{tr(SalesText::Account)}</dt>
                        <dd data-testid="quote-account">{account.map(|a| text(&a, "name")).unwrap_or_default()}</dd>
                        <dt>{tr(SalesText::ValidUntil)}</dt>
                        <dd>{format_date(&text(&q, "valid_until"), l)}</dd>
                    </dl>
                </div>
            }
        })
    };
    // A sales rep's limit, so that a manager sees what a rep's quote waits for.
    let rep_limit = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        in_browser(move || async move {
            if let Ok((200, s)) = call("GET", "/api/v1/sales/settings", None).await {
                rep_limit.set(s["settings"]["discount_limits"]["sales_rep_bp"].as_i64());
            }
        })
    });
    let approval = move || {
        let q = state.quote.get()?;
        let waits_for_approver = matches!(role, Some(Role::Manager | Role::Admin))
            && q["approval"].is_null()
            && rep_limit.get().is_some_and(|limit| beyond_limit(&q, limit));
        let needed = q["approval_needed"].is_object() || waits_for_approver;
        if !needed || q["status"] != "draft" {
            return q["approval"].is_object().then(|| {
                view! { <p class="notice ok" data-testid="approved">{tr(SalesText::Approved)}</p> }.into_any()
            });
        }
        let may_approve = matches!(role, Some(Role::Manager | Role::Admin));
        Some(
            view! {
                <div class="notice warn" data-testid="needs-approval">
                    <p>{tr(SalesText::NeedsApproval)}</p>
                    {may_approve.then(|| view! {
                        <button class="action primary" data-testid="approve" on:click=approve>{tr(SalesText::Approve)}</button>
                    })}
                </div>
            }
            .into_any(),
        )
    };
    let actions = move || {
        let status = state.status();
        let order = state.order.get();
        view! {
            <div class="panel-actions" data-testid="quote-actions">
                {(status == "draft").then(|| view! {
                    <button class="action primary" data-testid="send-quote" on:click=move |_| move_to("sent")>{tr(SalesText::Send)}</button>
                })}
                {(status == "sent").then(|| view! {
                    <button class="action primary" data-testid="accept-quote" on:click=move |_| move_to("accepted")>{tr(SalesText::Accept)}</button>
                    <button class="action subtle" data-testid="reject-quote" on:click=move |_| move_to("rejected")>{tr(SalesText::Reject)}</button>
                })}
                {matches!(status.as_str(), "sent" | "rejected" | "expired").then(|| view! {
                    <button class="action subtle" data-testid="revise-quote" on:click=revise>{tr(SalesText::Revise)}</button>
                })}
                <a class="action subtle" href=format!("/quotes/{id}/print") data-testid="print-link">{tr(SalesText::Print)}</a>
                {order.map(|o| view! {
                    <a class="action primary" href=format!("/orders/{o}") data-testid="order-link">
                        {tr(SalesText::OpenOrder)} {format!(" #{o}")}
                    </a>
                })}
            </div>
        }
    };
    let revisions = move || {
        let l = locale.get();
        let list = state.revisions.get();
        (list.len() > 1).then(|| {
            let items = list
                .into_iter()
                .map(|r| {
                    let rid = int(&r, "id");
                    view! {
                        <li class:current={rid == id}>
                            <a href=format!("/quotes/{rid}")>{format!("{} {}", SalesText::Revision.text(l), int(&r, "revision"))}</a>
                            " " <Badge status=text(&r, "status") />
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="revisions" data-testid="revisions">
                    <h3>{tr(SalesText::Revisions)}</h3>
                    <ul>{items}</ul>
                </div>
            }
        })
    };
    view! {
        <section class="panel quote">
            {header}
            <Message text=state.message />
            {approval}
            <Show when=move || !is_draft() && state.quote.with(Option::is_some)>
                <p class="muted" data-testid="frozen">{tr(SalesText::Frozen)}</p>
            </Show>
            <QuoteLines state editable=Signal::derive(is_draft) />
            <Show when=is_draft>
                <ProductPicker state />
                <div class="panel-actions">
                    <button class="action primary" data-testid="save-quote" on:click=save_lines>{tr(SalesText::SaveLines)}</button>
                </div>
            </Show>
            <Totals state />
            {actions}
            {revisions}
        </section>
    }
}

/// The quote's lines: inputs on a draft, the server's figures always.
#[component]
fn QuoteLines(state: QuoteState, editable: Signal<bool>) -> impl IntoView {
    let locale = use_locale();
    let rows = move || {
        let l = locale.get();
        let currency = state.currency();
        let priced: Vec<Value> = state
            .quote
            .with(|q| q.as_ref().and_then(|q| q["lines"].as_array().cloned()))
            .unwrap_or_default();
        let products = state.products.get();
        let edit = editable.get();
        state
            .lines
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, line)| {
                let server = priced
                    .get(i)
                    .filter(|p| int(p, "product_id") == line.product_id)
                    .cloned();
                let name = products
                    .iter()
                    .find(|p| p.id == line.product_id)
                    .map(|p| p.name(l))
                    .unwrap_or_default();
                let figure = |key: &str| {
                    server
                        .as_ref()
                        .map(|s| money(s, key, &currency))
                        .unwrap_or_else(|| "…".into())
                };
                let cell = move |value: String, set: fn(&mut DraftLine, String), testid: &'static str| {
                    if edit {
                        view! {
                            <input class="cell-input" inputmode="decimal" data-testid=testid prop:value=value
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    state.lines.update(|lines| if let Some(line) = lines.get_mut(i) { set(line, v) });
                                } />
                        }
                        .into_any()
                    } else {
                        view! { <span>{value}</span> }.into_any()
                    }
                };
                let price_shown = if edit {
                    line.unit_price.clone()
                } else {
                    server
                        .as_ref()
                        .map(|s| money(s, "unit_price_minor", &currency))
                        .unwrap_or_default()
                };
                let discount_shown = if edit {
                    line.discount.clone()
                } else {
                    format_bp(server.as_ref().map_or(0, |s| int(s, "discount_bp")), l)
                };
                view! {
                    <tr data-testid="quote-line">
                        <td>{line.sku.clone()}</td>
                        <td>{name}</td>
                        <td class="num">{cell(line.quantity.clone(), |d, v| d.quantity = v, "line-quantity")}</td>
                        <td class="num">{cell(price_shown, |d, v| d.unit_price = v, "line-price")}</td>
                        <td class="num">{cell(discount_shown, |d, v| d.discount = v, "line-discount")}</td>
                        <td class="num">{server.as_ref().map(|s| format_bp(int(s, "tax_rate_bp"), l))}</td>
                        <td class="num">{figure("net_minor")}</td>
                        <td class="num">{figure("tax_minor")}</td>
                        <td class="num">{figure("total_minor")}</td>
                        <td class="no-print">{edit.then(|| view! {
                            <button class="action subtle" data-testid="remove-line"
                                on:click=move |_| state.lines.update(|lines| { if i < lines.len() { lines.remove(i); } })>
                                {tr(SalesText::Remove)}
                            </button>
                        })}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <div class="table-wrap">
            <table class="sales-table" data-testid="quote-lines">
                <thead><tr>
                    <th>{tr(SalesText::Sku)}</th><th>{tr(SalesText::Name)}</th><th class="num">{tr(SalesText::Quantity)}</th>
                    <th class="num">{tr(SalesText::UnitPrice)}</th><th class="num">{tr(SalesText::Discount)}</th>
                    <th class="num">{tr(SalesText::TaxRate)}</th><th class="num">{tr(SalesText::Net)}</th>
                    <th class="num">{tr(SalesText::Tax)}</th><th class="num">{tr(SalesText::Total)}</th><th></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Searches the active catalogue by SKU or name and adds a line (priced by the server on save).
#[component]
fn ProductPicker(state: QuoteState) -> impl IntoView {
    let locale = use_locale();
    let query = RwSignal::new(String::new());
    let found = move || {
        let l = locale.get();
        let q = query.get();
        let hits: Vec<ProductRow> = if q.trim().is_empty() {
            Vec::new()
        } else {
            state
                .products
                .get()
                .into_iter()
                .filter(|p| p.matches(&q))
                .take(8)
                .collect()
        };
        hits.into_iter()
            .map(|p| {
                let label = format!("{} · {} · {}", p.sku, p.name(l), format_money(p.list_price_minor, &p.currency));
                let add = p.clone();
                view! {
                    <li>
                        <button class="action subtle pick" data-testid="pick-product" on:click=move |_| {
                            let l = locale.get_untracked();
                            state.lines.update(|lines| lines.push(DraftLine {
                                product_id: add.id,
                                sku: add.sku.clone(),
                                quantity: format_quantity(1000, l),
                                applicable_minor: 0,
                                unit_price: String::new(),
                                discount: "0".into(),
                            }));
                            query.set(String::new());
                        }>
                            {tr(SalesText::AddLine)} ": " {label}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="picker">
            <input type="search" class="search" data-testid="product-search"
                placeholder=move || SalesText::SearchProducts.text(locale.get())
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
            <ul class="picker-results" data-testid="product-results">{found}</ul>
        </div>
    }
}

/// The server's totals of the quote (plain sums of its lines, docs/sales.md).
#[component]
fn Totals(state: QuoteState) -> impl IntoView {
    move || {
        let q = state.quote.get()?;
        let currency = text(&q, "currency");
        let t = q["totals"].clone();
        Some(view! { <TotalsTable totals=t currency margin=true /> })
    }
}

#[component]
fn TotalsTable(totals: Value, currency: String, margin: bool) -> impl IntoView {
    let row = |label: SalesText, key: &str, testid: &'static str| {
        view! { <tr><th>{tr(label)}</th><td class="num" data-testid=testid>{money(&totals, key, &currency)}</td></tr> }
    };
    view! {
        <table class="totals" data-testid="totals">
            {row(SalesText::Subtotal, "subtotal_minor", "total-subtotal")}
            {row(SalesText::Tax, "tax_minor", "total-tax")}
            <tr class="grand">
                <th>{tr(SalesText::Total)}</th>
                <td class="num" data-testid="total-total">{money(&totals, "total_minor", &currency)}</td>
            </tr>
            {margin.then(|| row(SalesText::Margin, "margin_minor", "total-margin"))}
        </table>
    }
}

// ---- the printable proposal -----------------------------------------------------------------

/// `/quotes/{id}/print`: the proposal on A4 (print styles in `wilayah.css`): the company from
/// the sales settings, the customer, lines, totals, validity and terms.
#[component]
pub fn QuotePrintPage() -> impl IntoView {
    let locale = use_locale();
    let id = path_id();
    let quote = RwSignal::new(None::<Value>);
    let account = RwSignal::new(None::<Value>);
    let settings = RwSignal::new(None::<Value>);
    let names = RwSignal::new(Vec::<ProductRow>::new());
    Effect::new(move |_| {
        let Some(id) = id.get() else { return };
        in_browser(move || async move {
            if let Ok((200, s)) = call("GET", "/api/v1/sales/settings", None).await {
                settings.set(Some(s["settings"].clone()));
            }
            if let Ok((200, q)) = call("GET", &format!("/api/v1/quotes/{id}"), None).await {
                let account_id = int(&q, "account_id");
                if let Ok((200, a)) =
                    call("GET", &format!("/api/v1/accounts/{account_id}"), None).await
                {
                    account.set(Some(a));
                }
                names.set(load_products(false).await);
                quote.set(Some(q));
            }
        })
    });
    let print = move |_: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    let document = move || {
        let l = locale.get();
        let q = quote.get()?;
        let s = settings.get().unwrap_or(Value::Null);
        let a = account.get().unwrap_or(Value::Null);
        let currency = text(&q, "currency");
        let products = names.get();
        let lines = q["lines"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|line| {
                let name = products
                    .iter()
                    .find(|p| p.id == int(&line, "product_id"))
                    .map(|p| p.name(l))
                    .unwrap_or_default();
                let unit = products
                    .iter()
                    .find(|p| p.id == int(&line, "product_id"))
                    .map(|p| unit_text(&p.unit).text(l))
                    .unwrap_or_default();
                view! {
                    <tr data-testid="print-line">
                        <td>{text(&line, "sku")}</td>
                        <td>{name}</td>
                        <td class="num">{format!("{} {unit}", format_quantity(int(&line, "quantity_milli"), l))}</td>
                        <td class="num">{money(&line, "unit_price_minor", &currency)}</td>
                        <td class="num">{format_bp(int(&line, "discount_bp"), l)}</td>
                        <td class="num">{money(&line, "net_minor", &currency)}</td>
                        <td class="num">{format_bp(int(&line, "tax_rate_bp"), l)}</td>
                        <td class="num">{money(&line, "total_minor", &currency)}</td>
                    </tr>
                }
            })
            .collect_view();
        let terms = q["terms"]
            .as_str()
            .or_else(|| s["default_terms"].as_str())
            .map(str::to_owned);
        let logo = s["logo_url"].as_str().map(str::to_owned);
        let status = text(&q, "status");
        Some(view! {
            <article class="proposal" data-testid="proposal">
                <header class="proposal-head">
                    <div class="company">
                        {logo.map(|src| view! { <img class="logo" src=src alt="" data-testid="company-logo" /> })}
                        <div>
                            <h1 data-testid="company-name">{text(&s, "company_name")}</h1>
                            <p class="pre">{text(&s, "company_address")}</p>
                        </div>
                    </div>
                    <div class="doc">
                        <h2>{tr(SalesText::Proposal)}</h2>
                        <p>{format!("{} #{} · {} {}", SalesText::QuoteNo.text(l), int(&q, "quote_no"), SalesText::Revision.text(l), int(&q, "revision"))}</p>
                        <p>{format!("{}: {}", SalesText::Date.text(l), format_date(&q["sent_on"].as_str().map(str::to_owned).unwrap_or_else(|| text(&q, "created_at")), l))}</p>
                        <p>{format!("{}: {}", SalesText::ValidUntil.text(l), format_date(&text(&q, "valid_until"), l))}</p>
                        <p class="no-print"><Badge status /></p>
                    </div>
                </header>
                <section class="customer">
                    <h3>{tr(SalesText::PreparedFor)}</h3>
                    <p data-testid="print-customer"><strong>{text(&a, "name")}</strong></p>
                    <p class="pre">{a["address"].as_str().unwrap_or_default().to_owned()}</p>
                </section>
                <table class="sales-table proposal-lines">
                    <thead><tr>
                        <th>{tr(SalesText::Sku)}</th><th>{tr(SalesText::Name)}</th><th class="num">{tr(SalesText::Quantity)}</th>
                        <th class="num">{tr(SalesText::UnitPrice)}</th><th class="num">{tr(SalesText::Discount)}</th>
                        <th class="num">{tr(SalesText::Net)}</th><th class="num">{tr(SalesText::TaxRate)}</th>
                        <th class="num">{tr(SalesText::Total)}</th>
                    </tr></thead>
                    <tbody>{lines}</tbody>
                </table>
                <TotalsTable totals=q["totals"].clone() currency=currency.clone() margin=false />
                {terms.map(|t| view! {
                    <section class="terms">
                        <h3>{tr(SalesText::Terms)}</h3>
                        <p class="pre">{t}</p>
                    </section>
                })}
            </article>
        })
    };
    view! {
        <div class="print-page">
            <div class="no-print print-bar">
                <crate::Header title=Msg::QuoteTitle />
                <div class="panel-actions">
                    <a class="action subtle" href=move || id.get().map(|id| format!("/quotes/{id}")).unwrap_or_default()>
                        {tr(SalesText::BackToQuote)}
                    </a>
                    <button class="action primary" data-testid="print-now" on:click=print>{tr(SalesText::PrintNow)}</button>
                    <span class="muted">{tr(SalesText::PdfNote)}</span>
                </div>
            </div>
            {document}
        </div>
    }
}

// ---- orders -------------------------------------------------------------------------------

/// Account names for a set of documents, fetched once each.
async fn account_names(ids: Vec<i64>) -> Vec<(i64, String)> {
    let mut names = Vec::new();
    for id in ids {
        if names.iter().any(|(a, _)| *a == id) {
            continue;
        }
        if let Ok((200, a)) = call("GET", &format!("/api/v1/accounts/{id}"), None).await {
            names.push((id, text(&a, "name")));
        }
    }
    names
}

/// `/orders`: the caller's orders, newest first, by status.
#[component]
pub fn OrdersPage() -> impl IntoView {
    let locale = use_locale();
    let orders = RwSignal::new(Vec::<Value>::new());
    let names = RwSignal::new(Vec::<(i64, String)>::new());
    let status = RwSignal::new(String::new());
    Effect::new(move |_| {
        let status = status.get();
        in_browser(move || async move {
            let mut url = "/api/v1/orders?limit=200".to_owned();
            if !status.is_empty() {
                url.push_str(&format!("&status={status}"));
            }
            if let Ok((200, page)) = call("GET", &url, None).await {
                let items = page["items"].as_array().cloned().unwrap_or_default();
                let ids: Vec<i64> = items
                    .iter()
                    .map(|o| int(o, "account_id"))
                    .take(200)
                    .collect();
                orders.set(items);
                names.set(account_names(ids).await);
            }
        })
    });
    let rows = move || {
        let l = locale.get();
        let names = names.get();
        orders
            .get()
            .into_iter()
            .map(|o| {
                let id = int(&o, "id");
                let account = names
                    .iter()
                    .find(|(a, _)| *a == int(&o, "account_id"))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                let currency = text(&o, "currency");
                view! {
                    <tr data-testid="order-row">
                        <td><a href=format!("/orders/{id}")>{format!("#{id}")}</a></td>
                        <td>{format_date(&text(&o, "order_date"), l)}</td>
                        <td>{account}</td>
                        <td><Badge status=text(&o, "status") /></td>
                        <td class="num">{money(&o["totals"], "subtotal_minor", &currency)}</td>
                        <td class="num">{money(&o["totals"], "total_minor", &currency)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let options = ["open", "delivered", "invoiced", "cancelled"]
        .into_iter()
        .map(|s| view! { <option value=s>{tr(status_text(s))}</option> })
        .collect_view();
    view! {
        <div class="sales-page">
            <crate::Header title=Msg::NavOrders />
            <main class="sales-main" data-testid="orders-page">
                <section class="panel">
                    <div class="section-head">
                        <h2>{tr(SalesText::Orders)}</h2>
                        <a class="action primary" href="/orders/new" data-testid="new-order-link">{tr(SalesText::NewOrder)}</a>
                        <select data-testid="order-status-filter" on:change=move |ev| status.set(event_target_value(&ev))>
                            <option value="">{tr(SalesText::AllStatuses)}</option>
                            {options}
                        </select>
                    </div>
                    <div class="table-wrap">
                        <table class="sales-table" data-testid="orders">
                            <thead><tr>
                                <th>"#"</th><th>{tr(SalesText::OrderDate)}</th><th>{tr(SalesText::Account)}</th>
                                <th>{tr(SalesText::Status)}</th><th class="num">{tr(SalesText::Subtotal)}</th>
                                <th class="num">{tr(SalesText::Total)}</th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                </section>
            </main>
        </div>
    }
}

/// `/orders/{id}`: an order; `/orders/new?account=…` enters one directly.
#[component]
pub fn OrderPage() -> impl IntoView {
    let id = path_id();
    let existing = Memo::new(move |_| id.with(Option::is_some));
    view! {
        <div class="sales-page">
            <crate::Header title=Msg::OrderTitle />
            <main class="sales-main" data-testid="order-page">
                {move || if existing.get() {
                    view! { <OrderView /> }.into_any()
                } else {
                    view! { <NewOrder /> }.into_any()
                }}
            </main>
        </div>
    }
}

/// Enters an order directly (a phone or counter sale, no quote before it): the customer, the
/// order date and the lines; the server prices the lines as a quote's on that date and the order
/// starts open.
#[component]
fn NewOrder() -> impl IntoView {
    let locale = use_locale();
    let account_param = query_param("account");
    let account = RwSignal::new(None::<Value>);
    let search = RwSignal::new(String::new());
    let found = RwSignal::new(Vec::<Value>::new());
    let order_date = RwSignal::new(String::new());
    let state = QuoteState {
        quote: RwSignal::new(None),
        account,
        products: RwSignal::new(Vec::new()),
        lines: RwSignal::new(Vec::new()),
        revisions: RwSignal::new(Vec::new()),
        order: RwSignal::new(None),
        message: RwSignal::new(None),
    };
    Effect::new(move |_| {
        let chosen = account_param.get();
        in_browser(move || async move {
            order_date.set(crate::local_date_in(0));
            state.products.set(load_products(true).await);
            if let Some(id) = chosen
                && let Ok((200, a)) = call("GET", &format!("/api/v1/accounts/{id}"), None).await
            {
                account.set(Some(a));
            }
        })
    });
    Effect::new(move |_| {
        let typed = search.get();
        if typed.trim().chars().count() < 2 {
            found.set(Vec::new());
            return;
        }
        in_browser(move || async move {
            let url = format!(
                "/api/v1/accounts?limit=8&q={}",
                crate::rest::encode(typed.trim())
            );
            // Only the answer to what is still typed counts (answers can overtake each other).
            if let Ok((200, page)) = call("GET", &url, None).await
                && search.get_untracked() == typed
            {
                found.set(page["items"].as_array().cloned().unwrap_or_default());
            }
        })
    });
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let l = locale.get_untracked();
        let Some(a) = account.get_untracked() else {
            return;
        };
        let Some(inputs) = state.line_inputs(l) else {
            return;
        };
        if inputs.is_empty() {
            let message = SalesText::NoLines.text(l).to_owned();
            state.message.set(Some((false, message)));
            return;
        }
        let body = json!({
            "account_id": int(&a, "id"), "currency": text(&a, "currency"),
            "order_date": order_date.get_untracked(), "lines": inputs,
        });
        in_browser(move || async move {
            match call("POST", "/api/v1/orders", Some(body)).await {
                Ok((201, o)) => navigate_to(&format!("/orders/{}", int(&o, "id"))),
                Ok((status, body)) => state.message.set(Some((false, refusal(status, &body, l)))),
                Err(e) => state.message.set(Some((false, e))),
            }
        });
    };
    let customer = move || {
        match account.get() {
        Some(a) => view! {
            <dl class="facts">
                <dt>{tr(SalesText::Account)}</dt>
                <dd data-testid="new-order-account">
                    {text(&a, "name")} " "
                    {account_param.with(Option::is_none).then(|| view! {
                        <button type="button" class="action subtle" data-testid="change-account"
                            on:click=move |_| account.set(None)>{tr(SalesText::ChangeAccount)}</button>
                    })}
                </dd>
            </dl>
        }
        .into_any(),
        None => view! {
            <div class="picker">
                <input type="search" class="search" data-testid="order-account-search"
                    placeholder=move || SalesText::FindAccount.text(locale.get())
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                <ul class="picker-results" data-testid="order-account-results">
                    {move || found.get().into_iter().map(|a| {
                        let label = format!("{} · {}", text(&a, "name"), text(&a, "address"));
                        view! {
                            <li>
                                <button type="button" class="action subtle pick" data-testid="pick-account"
                                    on:click=move |_| account.set(Some(a.clone()))>{label}</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        }
        .into_any(),
    }
    };
    view! {
        <section class="panel" data-testid="new-order">
            <h2>{tr(SalesText::NewOrder)}</h2>
            <Message text=state.message />
            {customer}
            <form class="inline-form" on:submit=create>
                <label>
                    <span>{tr(SalesText::OrderDate)}</span>
                    <input type="date" data-testid="new-order-date" prop:value=move || order_date.get()
                        on:input=move |ev| order_date.set(event_target_value(&ev)) />
                </label>
                <button class="action primary" type="submit" data-testid="create-order"
                    disabled=move || account.with(Option::is_none)>
                    {tr(SalesText::CreateOrder)}
                </button>
            </form>
            <p class="muted">{tr(SalesText::PricedOnSave)}</p>
            <QuoteLines state editable=Signal::derive(|| true) />
            <ProductPicker state />
        </section>
    }
}

/// An order's lines (returns as negative lines), totals and status moves.
#[component]
fn OrderView() -> impl IntoView {
    let locale = use_locale();
    let id = path_id();
    let order = RwSignal::new(None::<Value>);
    let account = RwSignal::new(None::<Value>);
    let products = RwSignal::new(Vec::<ProductRow>::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let load = move |id: i64| {
        in_browser(move || async move {
            if let Ok((200, o)) = call("GET", &format!("/api/v1/orders/{id}"), None).await {
                let account_id = int(&o, "account_id");
                order.set(Some(o));
                if let Ok((200, a)) =
                    call("GET", &format!("/api/v1/accounts/{account_id}"), None).await
                {
                    account.set(Some(a));
                }
                products.set(load_products(false).await);
            }
        })
    };
    Effect::new(move |_| {
        if let Some(id) = id.get() {
            load(id);
        }
    });
    let act = move |url: String, body: Value| {
        let l = locale.get_untracked();
        in_browser(move || async move {
            match call("POST", &url, Some(body)).await {
                Ok((200, o)) => {
                    order.set(Some(o));
                    message.set(Some((true, SalesText::Saved.text(l).to_owned())));
                }
                Ok((status, body)) => message.set(Some((false, refusal(status, &body, l)))),
                Err(e) => message.set(Some((false, e))),
            }
        })
    };
    let version = move || order.with_untracked(|o| o.as_ref().map(|o| o["version"].clone()));
    let move_to = move |status: &'static str| {
        if let Some(id) = id.get_untracked() {
            act(
                format!("/api/v1/orders/{id}/status"),
                json!({"version": version(), "status": status}),
            );
        }
    };
    let return_line = RwSignal::new(String::new());
    let return_quantity = RwSignal::new(String::new());
    let record_return = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = id.get_untracked() else { return };
        let line_no: i64 = return_line.get_untracked().parse().unwrap_or_default();
        let quantity = parse_quantity(&return_quantity.get_untracked()).unwrap_or_default();
        act(
            format!("/api/v1/orders/{id}/returns"),
            json!({"version": version(), "line_no": line_no, "quantity_milli": quantity}),
        );
    };
    let body = move || {
        let l = locale.get();
        let o = order.get()?;
        let currency = text(&o, "currency");
        let status = text(&o, "status");
        let all = products.get();
        let lines = o["lines"].as_array().cloned().unwrap_or_default();
        let returnable: Vec<(i64, String)> = lines
            .iter()
            .filter(|line| line["returns_line"].is_null() && int(line, "quantity_milli") > 0)
            .map(|line| (int(line, "line_no"), text(line, "sku")))
            .collect();
        let rows = lines
            .into_iter()
            .map(|line| {
                let name = all
                    .iter()
                    .find(|p| p.id == int(&line, "product_id"))
                    .map(|p| p.name(l))
                    .unwrap_or_default();
                let returns = line["returns_line"].as_i64();
                view! {
                    <tr data-testid="order-line" class:return-line=returns.is_some()>
                        <td>{int(&line, "line_no")}</td>
                        <td>{text(&line, "sku")}</td>
                        <td>{name} {returns.map(|r| view! { <small class="muted">{move || format!(" ({} {r})", SalesText::ReturnOf.text(locale.get()))}</small> })}</td>
                        <td class="num">{format_quantity(int(&line, "quantity_milli"), l)}</td>
                        <td class="num">{money(&line, "unit_price_minor", &currency)}</td>
                        <td class="num">{format_bp(int(&line, "discount_bp"), l)}</td>
                        <td class="num">{money(&line, "net_minor", &currency)}</td>
                        <td class="num">{money(&line, "tax_minor", &currency)}</td>
                        <td class="num">{money(&line, "total_minor", &currency)}</td>
                    </tr>
                }
            })
            .collect_view();
        let moves: Vec<(&'static str, SalesText)> = match status.as_str() {
            "open" => vec![
                ("delivered", SalesText::MarkDelivered),
                ("cancelled", SalesText::CancelOrder),
            ],
            "delivered" => vec![
                ("invoiced", SalesText::MarkInvoiced),
                ("cancelled", SalesText::CancelOrder),
            ],
            _ => Vec::new(),
        };
        let buttons = moves
            .into_iter()
            .map(|(to, label)| view! {
                <button class="action primary" data-testid=format!("order-{to}") on:click=move |_| move_to(to)>{tr(label)}</button>
            })
            .collect_view();
        let takes_returns = matches!(status.as_str(), "delivered" | "invoiced");
        let quote = o["quote_id"].as_i64();
        Some(view! {
            <div class="quote-head">
                <h2 data-testid="order-title">{format!("{} #{}", Msg::OrderTitle.text(l), int(&o, "id"))}</h2>
                <Badge status=status.clone() />
                <dl class="facts">
                    <dt>{tr(SalesText::Account)}</dt>
                    <dd>{account.get().map(|a| text(&a, "name")).unwrap_or_default()}</dd>
                    <dt>{tr(SalesText::OrderDate)}</dt>
                    <dd>{format_date(&text(&o, "order_date"), l)}</dd>
                    {quote.map(|q| view! {
                        <dt>{tr(SalesText::QuoteNo)}</dt>
                        <dd><a href=format!("/quotes/{q}")>{format!("#{q}")}</a></dd>
                    })}
                </dl>
            </div>
            <div class="table-wrap">
                <table class="sales-table" data-testid="order-lines">
                    <thead><tr>
                        <th>"#"</th><th>{tr(SalesText::Sku)}</th><th>{tr(SalesText::Name)}</th><th class="num">{tr(SalesText::Quantity)}</th>
                        <th class="num">{tr(SalesText::UnitPrice)}</th><th class="num">{tr(SalesText::Discount)}</th>
                        <th class="num">{tr(SalesText::Net)}</th><th class="num">{tr(SalesText::Tax)}</th><th class="num">{tr(SalesText::Total)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <TotalsTable totals=o["totals"].clone() currency margin=true />
            <div class="panel-actions">{buttons}</div>
            {takes_returns.then(|| {
                let options = returnable
                    .into_iter()
                    .map(|(n, sku)| view! { <option value=n.to_string()>{format!("{n} · {sku}")}</option> })
                    .collect_view();
                view! {
                    <form class="inline-form" data-testid="return-form" on:submit=record_return>
                        <select data-testid="return-line" on:change=move |ev| return_line.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {options}
                        </select>
                        <input inputmode="decimal" data-testid="return-quantity" placeholder=move || SalesText::Quantity.text(locale.get())
                            prop:value=move || return_quantity.get() on:input=move |ev| return_quantity.set(event_target_value(&ev)) />
                        <button class="action subtle" type="submit">{tr(SalesText::Return)}</button>
                    </form>
                }
            })}
        })
    };
    view! {
        <section class="panel">
            <Message text=message />
            {body}
        </section>
    }
}

// ---- on the account -----------------------------------------------------------------------

/// An account's sales: revenue to date and margin (derived from its orders by the server), its
/// open deals with "new quote", its quotes and its orders with their totals. Self-contained:
/// it loads its own data in the browser, so any account view can place it.
#[component]
pub fn AccountSales(account_id: i64) -> impl IntoView {
    let sells =
        use_signed_in().is_some_and(|c| c.may("quotes", wilayah_shared::access::Action::Read));
    sells.then(|| view! { <AccountSalesBody account_id /> })
}

#[component]
fn AccountSalesBody(account_id: i64) -> impl IntoView {
    let locale = use_locale();
    let account = RwSignal::new(None::<Value>);
    let quotes = RwSignal::new(Vec::<Value>::new());
    let orders = RwSignal::new(Vec::<Value>::new());
    let deals = RwSignal::new(Vec::<Value>::new());
    Effect::new(move |_| {
        in_browser(move || async move {
            if let Ok((200, a)) = call("GET", &format!("/api/v1/accounts/{account_id}"), None).await
            {
                account.set(Some(a));
            }
            let list = |url: String| async move {
                match call("GET", &url, None).await {
                    Ok((200, page)) => page["items"].as_array().cloned().unwrap_or_default(),
                    _ => Vec::new(),
                }
            };
            quotes.set(list(format!("/api/v1/quotes?account_id={account_id}&limit=50")).await);
            orders.set(list(format!("/api/v1/orders?account_id={account_id}&limit=50")).await);
            deals.set(
                list(format!(
                    "/api/v1/opportunities?account_id={account_id}&limit=100"
                ))
                .await
                .into_iter()
                .filter(|d| !matches!(d["stage"].as_str(), Some("won" | "lost")))
                .collect(),
            );
        })
    });
    let figures = move || {
        let a = account.get()?;
        let currency = text(&a, "currency");
        let margin = a["margin_minor"]
            .as_i64()
            .map(|m| format_money(m, &currency))
            .unwrap_or_else(|| "—".into());
        Some(view! {
            <dl class="facts">
                <dt>{tr(SalesText::RevenueToDate)}</dt>
                <dd data-testid="account-revenue">{money(&a, "revenue_minor", &currency)}</dd>
                <dt>{tr(SalesText::Margin)}</dt>
                <dd data-testid="account-margin">{margin}</dd>
            </dl>
        })
    };
    let doc_rows = move |docs: Vec<Value>, quote: bool, l: Locale| {
        docs.into_iter()
            .map(|d| {
                let id = int(&d, "id");
                let currency = text(&d, "currency");
                let (href, label, date) = if quote {
                    (
                        format!("/quotes/{id}"),
                        format!(
                            "#{} · {} {}",
                            int(&d, "quote_no"),
                            SalesText::Revision.text(l),
                            int(&d, "revision")
                        ),
                        text(&d, "valid_until"),
                    )
                } else {
                    (
                        format!("/orders/{id}"),
                        format!("#{id}"),
                        text(&d, "order_date"),
                    )
                };
                view! {
                    <li data-testid={if quote { "account-quote" } else { "account-order" }}>
                        <a href=href>{label}</a> " · " {format_date(&date, l)} " · "
                        <Badge status=text(&d, "status") /> " · "
                        <strong>{money(&d["totals"], "total_minor", &currency)}</strong>
                    </li>
                }
            })
            .collect_view()
    };
    let none = move || view! { <li class="muted">{tr(SalesText::NoneYet)}</li> };
    view! {
        <div class="account-sales" data-testid="account-sales-body">
            {figures}
            <h3>{tr(SalesText::OpenDeals)}</h3>
            <ul>
                {move || {
                    let list = deals.get();
                    if list.is_empty() { return none().into_any(); }
                    list.into_iter().map(|d| {
                        let id = int(&d, "id");
                        view! {
                            <li>
                                {text(&d, "title")} " "
                                <a class="action subtle" href=format!("/quotes/new?deal={id}") data-testid="new-quote">{tr(SalesText::NewQuote)}</a>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
            <h3>{tr(SalesText::Quotes)}</h3>
            <ul>{move || { let l = locale.get(); let q = quotes.get(); if q.is_empty() { none().into_any() } else { doc_rows(q, true, l).into_any() } }}</ul>
            <h3>
                {tr(SalesText::Orders)} " "
                <a class="action subtle" href=format!("/orders/new?account={account_id}") data-testid="account-new-order">{tr(SalesText::NewOrder)}</a>
            </h3>
            <ul>{move || { let l = locale.get(); let o = orders.get(); if o.is_empty() { none().into_any() } else { doc_rows(o, false, l).into_any() } }}</ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_quantities_read_in_both_languages() {
        assert_eq!(format_bp(1100, Locale::En), "11%");
        assert_eq!(format_bp(1250, Locale::Id), "12,5%");
        assert_eq!(format_bp(1234, Locale::En), "12.34%");
        assert_eq!(format_quantity(1500, Locale::Id), "1,5");
        assert_eq!(format_quantity(-2000, Locale::En), "-2");
        assert_eq!(parse_quantity("1,5"), Some(1500));
        assert_eq!(parse_percent("12,5"), Some(1250));
        assert_eq!(parse_percent(""), Some(0));
        assert_eq!(parse_percent("101"), None);
        assert_eq!(format_date("2026-12-05", Locale::Id), "5 Des 2026");
        assert_eq!(
            format_date("2026-08-17T03:00:00Z", Locale::En),
            "17 Aug 2026"
        );
        assert_eq!(format_date("", Locale::En), "");
    }

    #[test]
    fn the_limit_counts_override_and_discount_together() {
        let quote = |price: i64, discount: i64| json!({"lines": [{"unit_price_minor": price, "discount_bp": discount, "applicable_price_minor": 10_000}]});
        assert!(
            !beyond_limit(&quote(10_000, 1_000), 1_000),
            "exactly at the limit"
        );
        assert!(
            beyond_limit(&quote(9_999, 1_000), 1_000),
            "a rupiah below it"
        );
        assert!(
            beyond_limit(&quote(9_500, 600), 1_000),
            "5 % and 6 % make 10.7 %"
        );
        assert!(!beyond_limit(&quote(12_000, 0), 0), "above the price");
    }

    #[test]
    fn every_status_has_a_label() {
        for s in [
            "draft",
            "sent",
            "accepted",
            "rejected",
            "expired",
            "superseded",
            "open",
            "delivered",
            "invoiced",
            "cancelled",
            "active",
            "inactive",
            "review",
        ] {
            assert_ne!(status_text(s), SalesText::Status, "{s}");
        }
    }
}
