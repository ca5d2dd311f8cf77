//! The customer 360 (`/accounts/{id}`) and the account form (`/accounts/new`, and editing on the
//! account page): header, the pin on a small map, contacts with click-to-call, WhatsApp and
//! e-mail links and consent per channel, deals, cases, visits, one timeline, likely duplicates
//! with "merge into this account", and delete. Data comes from the REST API after hydration.
//!
//! Errors are the API's: a 422 names its `field`, shown next to that field in the user's
//! language ([`field_refusal`] says the rule by the code the server sends, through
//! `crate::errors`); a 409 on save re-reads the account and lists what changed since the form was
//! opened, with a button to re-apply the user's change on top of the new version.

use leptos::prelude::*;
use serde_json::{Map, Value, json};
use wilayah_shared::account::{Account, statuses_for};
use wilayah_shared::dashboard::{FilterOptions, Named};
use wilayah_shared::domain::{AccountKind, AccountStatus};
use wilayah_shared::duplicates::{Duplicate, DuplicateReason};
use wilayah_shared::geocode::{GeocodeHit, Precision};

use crate::errors::ApiFailure;
use crate::i18n::{Locale, Msg, Text, status_msg, tr, use_locale};
use crate::pin_map::PinMap;
use crate::rest::{self, RestError, encode};

/// The account page's and the account form's own texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcText {
    BackToList,
    NewAccount,
    Name,
    Kind,
    Status,
    Segment,
    Address,
    ExternalId,
    Tags,
    TagsHint,
    Owner,
    OwnerFromTerritory,
    LeadFlowHint,
    Suggestions,
    SuggestionsHint,
    NoSuggestions,
    LookAlikesBuy,
    OfferProduct,
    AddTask,
    TaskAdded,
    Territory,
    Position,
    NotPlaced,
    FindAddress,
    ClickOrDrag,
    Precision,
    PrecisionProvince,
    PrecisionRegency,
    PrecisionDistrict,
    PrecisionPlace,
    PrecisionStreet,
    AddressNotFound,
    Save,
    Saved,
    Create,
    Cancel,
    Edit,
    Delete,
    ConfirmDelete,
    LikelyDuplicates,
    OpenExisting,
    SaveAnyway,
    MergeIntoThis,
    MergeDone,
    NoDuplicates,
    ReasonSameName,
    ReasonSamePhone,
    ReasonSameEmail,
    ReasonSameExternalId,
    ConflictTitle,
    ConflictExplain,
    Field,
    YouStartedFrom,
    NowSaved,
    YourValue,
    ReapplyMine,
    DiscardMine,
    Contacts,
    AddContact,
    ContactName,
    JobTitle,
    Email,
    Phone,
    Call,
    WhatsApp,
    SendEmail,
    ConsentEmail,
    ConsentSms,
    ConsentPhone,
    ConsentGranted,
    ConsentRefused,
    ConsentNotAsked,
    ConsentOn,
    ConsentSource,
    Deals,
    Cases,
    Visits,
    Timeline,
    Nothing,
    LoadFailed,
    NotFound,
    Empty,
    CaseNew,
    CaseInProgress,
    CaseResolved,
    CaseClosed,
    PriorityLow,
    PriorityNormal,
    PriorityHigh,
    PriorityUrgent,
    ActCall,
    ActEmail,
    ActMeeting,
    ActVisit,
    ActNote,
    ActComplaint,
    Other,
    Value,
    ExpectedClose,
    Revenue,
}

impl Text for AcText {
    fn both(self) -> [&'static str; 2] {
        use AcText::*;
        match self {
            BackToList => ["← All accounts", "← Semua akun"],
            NewAccount => ["New account", "Akun baru"],
            Name => ["Name", "Nama"],
            Kind => ["Type", "Jenis"],
            Status => ["Status", "Status"],
            Segment => ["Segment", "Segmen"],
            Address => ["Address", "Alamat"],
            ExternalId => ["External id", "ID eksternal"],
            Tags => ["Tags", "Label"],
            TagsHint => ["separated by commas", "dipisahkan koma"],
            Owner => ["Owner", "Penanggung jawab"],
            OwnerFromTerritory => ["from the territory (automatic)", "dari wilayah (otomatis)"],
            Suggestions => ["Products to offer", "Produk untuk ditawarkan"],
            SuggestionsHint => [
                "What similar customers buy and this one does not",
                "Yang dibeli pelanggan serupa tetapi belum dibeli pelanggan ini",
            ],
            NoSuggestions => [
                "No suggestions yet: too few orders",
                "Belum ada saran: pesanan terlalu sedikit",
            ],
            LookAlikesBuy => [
                "bought by {} similar customers",
                "dibeli {} pelanggan serupa",
            ],
            OfferProduct => ["Offer {}", "Tawarkan {}"],
            AddTask => ["+ Task", "+ Tugas"],
            TaskAdded => ["task added", "tugas ditambahkan"],
            LeadFlowHint => [
                "A lead moves on the Leads page",
                "Prospek dipindahkan di halaman Prospek",
            ],
            Territory => ["Territory", "Wilayah penjualan"],
            Position => ["Position", "Posisi"],
            NotPlaced => [
                "Not placed yet: type an address, click the map or drag the pin",
                "Belum ditempatkan: ketik alamat, klik peta, atau geser penanda",
            ],
            FindAddress => ["Find address", "Cari alamat"],
            ClickOrDrag => [
                "Click the map or drag the pin to correct the position.",
                "Klik peta atau geser penanda untuk membetulkan posisi.",
            ],
            Precision => ["Found at", "Ditemukan pada tingkat"],
            PrecisionProvince => ["province precision", "provinsi"],
            PrecisionRegency => ["regency/city precision", "kabupaten/kota"],
            PrecisionDistrict => ["district precision", "kecamatan"],
            PrecisionPlace => ["place precision", "tempat"],
            PrecisionStreet => ["street precision", "jalan"],
            AddressNotFound => [
                "No known place in this address; place the pin on the map.",
                "Alamat ini tidak dikenal; tempatkan penanda di peta.",
            ],
            Save => ["Save", "Simpan"],
            Saved => ["Saved", "Tersimpan"],
            Create => ["Create account", "Buat akun"],
            Cancel => ["Cancel", "Batal"],
            Edit => ["Edit", "Ubah"],
            Delete => ["Delete account", "Hapus akun"],
            ConfirmDelete => ["Yes, delete it", "Ya, hapus"],
            LikelyDuplicates => ["Likely duplicates", "Kemungkinan duplikat"],
            OpenExisting => ["Open this one instead", "Buka akun ini saja"],
            SaveAnyway => ["Create anyway", "Tetap buat"],
            MergeIntoThis => ["Merge into this account", "Gabungkan ke akun ini"],
            MergeDone => ["Merged", "Digabungkan"],
            NoDuplicates => ["No likely duplicates", "Tidak ada kemungkinan duplikat"],
            ReasonSameName => ["same name, {} away", "nama sama, berjarak {}"],
            ReasonSamePhone => ["same phone {}", "telepon sama {}"],
            ReasonSameEmail => ["same e-mail {}", "e-mail sama {}"],
            ReasonSameExternalId => ["same external id {}", "ID eksternal sama {}"],
            ConflictTitle => [
                "Someone else changed this account",
                "Orang lain telah mengubah akun ini",
            ],
            ConflictExplain => [
                "Your change was not saved. These fields changed since you opened the form:",
                "Perubahan Anda belum disimpan. Kolom berikut berubah sejak Anda membuka formulir:",
            ],
            Field => ["Field", "Kolom"],
            YouStartedFrom => ["When you opened it", "Saat Anda membuka"],
            NowSaved => ["Saved now", "Tersimpan sekarang"],
            YourValue => ["Your change", "Perubahan Anda"],
            ReapplyMine => [
                "Re-apply my change on the new version",
                "Terapkan lagi perubahan saya pada versi baru",
            ],
            DiscardMine => ["Discard my change", "Buang perubahan saya"],
            Contacts => ["Contacts", "Kontak"],
            AddContact => ["Add contact", "Tambah kontak"],
            ContactName => ["Name", "Nama"],
            JobTitle => ["Job title", "Jabatan"],
            Email => ["E-mail", "E-mail"],
            Phone => ["Phone", "Telepon"],
            Call => ["Call", "Telepon"],
            WhatsApp => ["WhatsApp", "WhatsApp"],
            SendEmail => ["E-mail", "Kirim e-mail"],
            ConsentEmail => ["E-mail consent", "Izin e-mail"],
            ConsentSms => ["SMS/WhatsApp consent", "Izin SMS/WhatsApp"],
            ConsentPhone => ["Phone consent", "Izin telepon"],
            ConsentGranted => ["granted", "diberikan"],
            ConsentRefused => ["refused", "ditolak"],
            ConsentNotAsked => ["not asked", "belum ditanya"],
            ConsentOn => ["on", "tanggal"],
            ConsentSource => ["source", "sumber"],
            Deals => ["Deals", "Peluang"],
            Cases => ["Cases", "Kasus"],
            Visits => ["Visits", "Kunjungan"],
            Timeline => ["Timeline", "Linimasa"],
            Nothing => ["None", "Tidak ada"],
            LoadFailed => ["Could not load this", "Gagal memuat"],
            NotFound => [
                "This account does not exist or is not yours to see.",
                "Akun ini tidak ada atau bukan milik Anda.",
            ],
            Empty => ["(empty)", "(kosong)"],
            CaseNew => ["new", "baru"],
            CaseInProgress => ["in progress", "sedang ditangani"],
            CaseResolved => ["resolved", "terselesaikan"],
            CaseClosed => ["closed", "ditutup"],
            PriorityLow => ["low", "rendah"],
            PriorityNormal => ["normal", "normal"],
            PriorityHigh => ["high", "tinggi"],
            PriorityUrgent => ["urgent", "mendesak"],
            ActCall => ["call", "telepon"],
            ActEmail => ["e-mail", "e-mail"],
            ActMeeting => ["meeting", "pertemuan"],
            ActVisit => ["visit", "kunjungan"],
            ActNote => ["note", "catatan"],
            ActComplaint => ["complaint", "keluhan"],
            Other => ["other", "lainnya"],
            Value => ["Value", "Nilai"],
            ExpectedClose => ["Expected close", "Perkiraan selesai"],
            Revenue => ["Revenue to date", "Pendapatan"],
        }
    }
}

/// `text` with its `{}` replaced by `value`.
fn fill(text: &str, value: &str) -> String {
    text.replacen("{}", value, 1)
}

/// The label of a field the forms show, by its API name.
pub fn field_label(field: &str) -> Option<AcText> {
    use AcText::*;
    Some(match field {
        "name" => Name,
        "kind" => Kind,
        "status" => Status,
        "segment" => Segment,
        "address" => Address,
        "external_id" => ExternalId,
        "tags" => Tags,
        "owner_id" => Owner,
        "territory_id" => Territory,
        "lon" | "lat" => Position,
        "title" => JobTitle,
        "email" => Email,
        "phone" => Phone,
        "consent_email" | "consent_email_on" | "consent_email_source" => ConsentEmail,
        "consent_sms" | "consent_sms_on" | "consent_sms_source" => ConsentSms,
        "consent_phone" | "consent_phone_on" | "consent_phone_source" => ConsentPhone,
        "revenue_minor" => Revenue,
        _ => return None,
    })
}

/// A field's refusal in words, for beside the field: the form's label and the rule the server
/// named by its code ("Nama: wajib diisi"). Never the API's English.
pub fn field_refusal(failure: &ApiFailure, locale: Locale) -> String {
    let rule = crate::errors::describe(&failure.code, &failure.params, locale);
    match failure.field.as_deref() {
        Some(field) => {
            let label = field_label(field)
                .map(|l| l.text(locale).to_owned())
                .unwrap_or_else(|| crate::errors::field_label(field, locale));
            format!("{label}: {rule}")
        }
        None => rule,
    }
}

/// A refused request in the user's language.
pub fn refusal_text(error: &RestError, locale: Locale) -> String {
    error.failure().text(locale)
}

pub fn kind_msg(kind: AccountKind) -> Msg {
    match kind {
        AccountKind::Customer => Msg::Customer,
        AccountKind::Prospect => Msg::Prospect,
    }
}

/// A stored code of a case, deal, visit or activity in the user's language.
pub fn code_text(code: &str, locale: Locale) -> &'static str {
    use AcText::*;
    if let Some(msg) = crate::i18n::stage_msg(code) {
        return msg.text(locale);
    }
    if let Some(msg) = crate::i18n::visit_status_msg(code) {
        return msg.text(locale);
    }
    let text = match code {
        "new" => CaseNew,
        "in_progress" => CaseInProgress,
        "resolved" => CaseResolved,
        "closed" => CaseClosed,
        "low" => PriorityLow,
        "normal" => PriorityNormal,
        "high" => PriorityHigh,
        "urgent" => PriorityUrgent,
        "call" => ActCall,
        "email" => ActEmail,
        "meeting" => ActMeeting,
        "visit" => ActVisit,
        "note" => ActNote,
        "complaint" => ActComplaint,
        _ => Other,
    };
    text.text(locale)
}

fn precision_text(precision: Precision) -> AcText {
    match precision {
        Precision::Province => AcText::PrecisionProvince,
        Precision::Regency => AcText::PrecisionRegency,
        Precision::District => AcText::PrecisionDistrict,
        Precision::Place => AcText::PrecisionPlace,
        Precision::Street => AcText::PrecisionStreet,
    }
}

fn reason_text(reason: &DuplicateReason, locale: Locale) -> String {
    match reason {
        DuplicateReason::SameNameNearby { distance_m } => fill(
            AcText::ReasonSameName.text(locale),
            &crate::format_distance(*distance_m),
        ),
        DuplicateReason::SamePhone { phone } => fill(AcText::ReasonSamePhone.text(locale), phone),
        DuplicateReason::SameEmail { email } => fill(AcText::ReasonSameEmail.text(locale), email),
        DuplicateReason::SameExternalId { external_id } => {
            fill(AcText::ReasonSameExternalId.text(locale), external_id)
        }
    }
}

/// What the account form edits, as the inputs hold it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormValues {
    pub name: String,
    pub kind: String,
    pub status: String,
    pub segment: String,
    pub address: String,
    pub external_id: String,
    /// Comma-separated.
    pub tags: String,
    /// A staff id, or empty: the territory's rep.
    pub owner_id: String,
    pub position: Option<(f64, f64)>,
}

/// The fields [`FormValues`] holds, by API name, in form order.
pub const FORM_FIELDS: [&str; 9] = [
    "name",
    "kind",
    "status",
    "segment",
    "address",
    "external_id",
    "tags",
    "owner_id",
    "position",
];

impl FormValues {
    pub fn of(a: &Account) -> Self {
        FormValues {
            name: a.name.clone(),
            kind: a.kind.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            segment: a.segment.clone().unwrap_or_default(),
            address: a.address.clone().unwrap_or_default(),
            external_id: a.external_id.clone().unwrap_or_default(),
            tags: a.tags.join(", "),
            owner_id: a.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            position: Some((a.lon, a.lat)),
        }
    }

    /// One field as text (the position as `lon, lat`).
    pub fn get(&self, field: &str) -> String {
        match field {
            "name" => self.name.clone(),
            "kind" => self.kind.clone(),
            "status" => self.status.clone(),
            "segment" => self.segment.clone(),
            "address" => self.address.clone(),
            "external_id" => self.external_id.clone(),
            "tags" => self.tags.clone(),
            "owner_id" => self.owner_id.clone(),
            _ => self
                .position
                .map(|(lon, lat)| format!("{lon:.5}, {lat:.5}"))
                .unwrap_or_default(),
        }
    }

    /// The fields whose values differ between `self` and `other`.
    pub fn differing(&self, other: &FormValues) -> Vec<&'static str> {
        FORM_FIELDS
            .into_iter()
            .filter(|f| self.get(f).trim() != other.get(f).trim())
            .collect()
    }

    /// `self` with the fields the user changed from `start` to `mine` taken from `mine`: the
    /// user's change re-applied on a newer version.
    pub fn with_changes(&self, start: &FormValues, mine: &FormValues) -> FormValues {
        let mut out = self.clone();
        for field in start.differing(mine) {
            match field {
                "name" => out.name = mine.name.clone(),
                "kind" => out.kind = mine.kind.clone(),
                "status" => out.status = mine.status.clone(),
                "segment" => out.segment = mine.segment.clone(),
                "address" => out.address = mine.address.clone(),
                "external_id" => out.external_id = mine.external_id.clone(),
                "tags" => out.tags = mine.tags.clone(),
                "owner_id" => out.owner_id = mine.owner_id.clone(),
                _ => out.position = mine.position,
            }
        }
        out
    }

    fn tag_list(&self) -> Vec<String> {
        self.tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// One field as the API takes it (empty text: null).
    fn json(&self, field: &str) -> Vec<(&'static str, Value)> {
        let text = |v: &str| {
            let v = v.trim();
            if v.is_empty() {
                Value::Null
            } else {
                Value::from(v)
            }
        };
        match field {
            // An emptied name is sent as typed, so the API's rule answers (next to the field).
            "name" => vec![("name", Value::from(self.name.trim()))],
            "kind" => vec![("kind", text(&self.kind))],
            "status" => vec![("status", text(&self.status))],
            "segment" => vec![("segment", text(&self.segment))],
            "address" => vec![("address", text(&self.address))],
            "external_id" => vec![("external_id", text(&self.external_id))],
            "tags" => vec![("tags", json!(self.tag_list()))],
            "owner_id" => vec![(
                "owner_id",
                self.owner_id
                    .trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or(Value::Null),
            )],
            _ => match self.position {
                Some((lon, lat)) => vec![("lon", lon.into()), ("lat", lat.into())],
                None => vec![],
            },
        }
    }

    /// A PATCH body: `version` and the fields that differ from `start`.
    pub fn patch(&self, start: &FormValues, version: i64) -> Value {
        let mut body = Map::new();
        body.insert("version".into(), version.into());
        for field in start.differing(self) {
            for (name, value) in self.json(field) {
                body.insert(name.into(), value);
            }
        }
        Value::Object(body)
    }

    /// A POST body for a new account: what is filled in (no owner: the territory's rep).
    pub fn create(&self) -> Value {
        let mut body = Map::new();
        for field in FORM_FIELDS {
            for (name, value) in self.json(field) {
                if !value.is_null() && value != json!([]) {
                    body.insert(name.into(), value);
                }
            }
        }
        if self.position.is_none() {
            body.remove("lon");
            body.remove("lat");
        }
        Value::Object(body)
    }
}

/// The name of `id` among `named`, or "—".
pub fn name_of(named: &[Named], id: Option<i64>) -> String {
    id.and_then(|id| named.iter().find(|n| n.id == id))
        .map(|n| n.name.clone())
        .unwrap_or_else(|| "—".into())
}

/// Loads `url` into `into` (None while loading).
pub fn load<T: serde::de::DeserializeOwned + Send + Sync + 'static>(
    url: String,
    into: RwSignal<Option<Result<T, RestError>>>,
) {
    into.set(None);
    leptos::task::spawn_local(async move {
        into.set(Some(rest::get::<T>(&url).await));
    });
}

/// Goes to `path` with a full page load.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// The filter menus' reps and territories (names for ids), loaded after hydration.
fn load_options() -> RwSignal<Option<FilterOptions>> {
    let options = RwSignal::new(None);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(o) = crate::api::get_filter_options().await {
                options.set(Some(o));
            }
        });
    });
    options
}

/// `/accounts/new`
#[component]
pub fn NewAccountPage() -> impl IntoView {
    let options = load_options();
    view! {
        <div class="ws-page">
            <crate::Header title=Msg::NavAccounts />
            <main class="ws-main">
                <a class="ws-back" href="/accounts" data-testid="back-to-list">{tr(AcText::BackToList)}</a>
                <h2>{tr(AcText::NewAccount)}</h2>
                <AccountForm start=None options />
            </main>
        </div>
    }
}

/// `/accounts/{id}`
#[component]
pub fn AccountPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()));
    let options = load_options();
    let account: RwSignal<Option<Result<Account, RestError>>> = RwSignal::new(None);
    let revision = RwSignal::new(0u32);
    Effect::new(move |_| {
        revision.track();
        match id() {
            Some(id) => load(format!("/api/v1/accounts/{id}"), account),
            None => account.set(Some(Err(RestError {
                status: 404,
                body: Value::Null,
            }))),
        }
    });
    let body = move || match account.get() {
        None => view! { <p class="muted">{tr(Msg::Loading)}</p> }.into_any(),
        Some(Err(_)) => {
            view! { <p class="error" data-testid="account-missing">{tr(AcText::NotFound)}</p> }
                .into_any()
        }
        Some(Ok(a)) => view! { <Customer360 account=a options revision /> }.into_any(),
    };
    view! {
        <div class="ws-page">
            <crate::Header title=Msg::NavAccounts />
            <main class="ws-main">
                <a class="ws-back" href="/accounts" data-testid="back-to-list">{tr(AcText::BackToList)}</a>
                {body}
            </main>
        </div>
    }
}

#[component]
fn Customer360(
    account: Account,
    options: RwSignal<Option<FilterOptions>>,
    revision: RwSignal<u32>,
) -> impl IntoView {
    let id = account.id;
    let (owner, territory) = (account.owner_id, account.territory_id);
    let owner_name = move || options.with(|o| o.as_ref().map(|o| name_of(&o.reps, owner)));
    let territory_name =
        move || options.with(|o| o.as_ref().map(|o| name_of(&o.territories, territory)));
    let kind = kind_msg(account.kind);
    let status = status_msg(account.status);
    let version = account.version;
    // Profitability and look-alike suggestions are analytics, which not every role may read.
    let analyst = crate::use_signed_in()
        .is_some_and(|c| c.may("analytics", wilayah_shared::access::Action::Read));
    view! {
        <header class="ws-account-head" data-testid="account-head">
            <h2 data-testid="account-name">{account.name.clone()}</h2>
            <p>
                <span class="tag">{tr(kind)}</span>
                " "
                <span class="tag" data-testid="account-status">{tr(status)}</span>
            </p>
            <dl class="facts">
                <dt>{tr(AcText::Owner)}</dt>
                <dd data-testid="account-owner">{owner_name}</dd>
                <dt>{tr(AcText::Territory)}</dt>
                <dd data-testid="account-territory">{territory_name}</dd>
                <dt>{tr(AcText::Address)}</dt>
                <dd>{account.address.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{tr(AcText::Revenue)}</dt>
                <dd>{crate::format_money(account.revenue_minor, &account.currency)}</dd>
            </dl>
        </header>
        <div class="ws-360">
            <section class="panel ws-edit" data-testid="account-edit">
                <AccountForm start=Some(account.clone()) options />
            </section>
            <Contacts account_id=id />
            <Related account_id=id />
            <Duplicates account_id=id version revision />
            <section class="panel ws-sales" data-testid="account-sales">
                <crate::sales::AccountSales account_id=id />
            </section>
            {analyst.then(|| view! {
                <crate::analytics::ProfitWaterfall account_id=id />
                <Suggestions account_id=id />
            })}
            <Timeline account_id=id />
            <DeleteAccount account_id=id version />
        </div>
    }
}

/// A likely duplicate with the account it points to (when the caller may read it).
type LikelyDuplicate = (Duplicate, Option<Account>);

/// The form's state: the values as typed, the values it started from, the account's version.
#[derive(Clone, Copy)]
struct Form {
    values: RwSignal<FormValues>,
    start: RwSignal<FormValues>,
    version: RwSignal<i64>,
    position: RwSignal<Option<(f64, f64)>>,
    /// The last refusal that names a field of the form.
    error: RwSignal<Option<ApiFailure>>,
    /// Any other refusal, already in words.
    failure: RwSignal<Option<RestError>>,
    conflict: RwSignal<Option<Account>>,
    geocoded: RwSignal<Option<Result<GeocodeHit, ()>>>,
    duplicates: RwSignal<Option<Vec<LikelyDuplicate>>>,
    saved: RwSignal<bool>,
    busy: RwSignal<bool>,
}

#[component]
fn AccountForm(start: Option<Account>, options: RwSignal<Option<FilterOptions>>) -> impl IntoView {
    let locale = use_locale();
    let existing = start.as_ref().map(|a| a.id);
    let initial = start
        .as_ref()
        .map(FormValues::of)
        .unwrap_or_else(|| FormValues {
            kind: "prospect".into(),
            status: "new".into(),
            ..FormValues::default()
        });
    let form = Form {
        values: RwSignal::new(initial.clone()),
        start: RwSignal::new(initial.clone()),
        version: RwSignal::new(start.as_ref().map(|a| a.version).unwrap_or(0)),
        position: RwSignal::new(initial.position),
        error: RwSignal::new(None),
        failure: RwSignal::new(None),
        conflict: RwSignal::new(None),
        geocoded: RwSignal::new(None),
        duplicates: RwSignal::new(None),
        saved: RwSignal::new(false),
        busy: RwSignal::new(false),
    };
    // The map's pin is the position.
    Effect::new(move |_| {
        let at = form.position.get();
        form.values.update(|v| v.position = at);
    });
    // Set once the page runs in the browser: tests wait for it before typing.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let input = move |field: &'static str, testid: &'static str| {
        let value = move || form.values.with(|v| v.get(field));
        let set = move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            form.saved.set(false);
            form.values.update(|v| match field {
                "name" => v.name = text,
                "segment" => v.segment = text,
                "address" => v.address = text,
                "external_id" => v.external_id = text,
                _ => v.tags = text,
            });
        };
        view! {
            <input
                type="text"
                name=field
                data-testid=testid
                prop:value=value
                on:input=set
                aria-invalid=move || form.error.with(|e| e.as_ref().is_some_and(|e| e.field.as_deref() == Some(field))).to_string()
            />
        }
    };
    let error_of = move |fields: &'static [&'static str]| {
        let testid = format!("error-{}", fields[0]);
        move || {
            form.error.with(|e| {
                e.as_ref()
                    .filter(|e| e.field.as_deref().is_some_and(|f| fields.contains(&f)))
                    .map(|e| {
                        let text = field_refusal(e, locale.get());
                        view! { <p class="field-error" data-testid=testid.clone()>{text}</p> }
                    })
            })
        }
    };
    let kind_select = move || {
        let current = form.values.with(|v| v.kind.clone());
        AccountKind::ALL
            .iter()
            .map(|k| {
                let selected = current == k.as_str();
                view! { <option value=k.as_str() selected=selected>{tr(kind_msg(*k))}</option> }
            })
            .collect_view()
    };
    // A saved lead's status moves through the lead flow (which asks why it was disqualified and
    // writes the history); the server refuses it in an edit.
    let saved_prospect = start
        .as_ref()
        .is_some_and(|a| a.kind == AccountKind::Prospect);
    let lead_moves_elsewhere = move || {
        saved_prospect
            && form
                .values
                .with(|v| v.kind == AccountKind::Prospect.as_str())
    };
    let status_select = move || {
        let (kind, current) = form.values.with(|v| (v.kind.clone(), v.status.clone()));
        let kind = kind.parse::<AccountKind>().unwrap_or(AccountKind::Prospect);
        statuses_for(kind)
            .iter()
            .map(|s: &AccountStatus| {
                let selected = current == s.as_str();
                view! { <option value=s.as_str() selected=selected>{tr(status_msg(*s))}</option> }
            })
            .collect_view()
    };
    let owner_select = move || {
        let current = form.values.with(|v| v.owner_id.clone());
        let reps = options.with(|o| o.as_ref().map(|o| o.reps.clone()).unwrap_or_default());
        let mut views = vec![view! {
            <option value="" selected=current.is_empty()>{tr(AcText::OwnerFromTerritory)}</option>
        }
        .into_any()];
        for rep in reps {
            let selected = current == rep.id.to_string();
            views.push(
                view! { <option value=rep.id.to_string() selected=selected>{rep.name}</option> }
                    .into_any(),
            );
        }
        views
    };
    let geocode = move |_| {
        let address = form.values.with_untracked(|v| v.address.trim().to_owned());
        if address.is_empty() {
            return;
        }
        form.geocoded.set(None);
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/geocode?q={}", encode(&address));
            match rest::get::<GeocodeHit>(&url).await {
                Ok(hit) => {
                    form.position.set(Some((hit.lon, hit.lat)));
                    form.geocoded.set(Some(Ok(hit)));
                }
                Err(_) => form.geocoded.set(Some(Err(()))),
            }
        });
    };
    let geocoded = move || {
        form.geocoded.get().map(|hit| match hit {
            Ok(hit) => {
                let precision = precision_text(hit.precision);
                view! {
                    <p class="muted" data-testid="geocoded">
                        {tr(AcText::Precision)} " " {tr(precision)} ": " {hit.matched_name.clone()}
                    </p>
                }
                .into_any()
            }
            Err(()) => {
                view! { <p class="error" data-testid="geocoded">{tr(AcText::AddressNotFound)}</p> }
                    .into_any()
            }
        })
    };
    let position_text = move || match form.position.get() {
        Some((lon, lat)) => format!("{lon:.5}, {lat:.5}"),
        None => AcText::NotPlaced.text(locale.get()).to_owned(),
    };

    let save = move |confirmed: bool| {
        if form.busy.get_untracked() {
            return;
        }
        form.error.set(None);
        form.failure.set(None);
        form.saved.set(false);
        let values = form.values.get_untracked();
        match existing {
            Some(id) => {
                let body = values.patch(&form.start.get_untracked(), form.version.get_untracked());
                form.busy.set(true);
                leptos::task::spawn_local(async move {
                    let answer =
                        rest::send::<Account>("PATCH", &format!("/api/v1/accounts/{id}"), &body)
                            .await;
                    form.busy.set(false);
                    match answer {
                        Ok(saved) => {
                            let now = FormValues::of(&saved);
                            form.start.set(now.clone());
                            form.values.set(now);
                            form.version.set(saved.version);
                            form.conflict.set(None);
                            form.saved.set(true);
                        }
                        Err(e) if e.status == 409 => {
                            if let Ok(latest) =
                                rest::get::<Account>(&format!("/api/v1/accounts/{id}")).await
                            {
                                form.conflict.set(Some(latest));
                            } else {
                                form.failure.set(Some(e));
                            }
                        }
                        Err(e) if e.status == 422 || e.status == 400 => {
                            form.error.set(Some(e.failure()));
                        }
                        Err(e) => form.failure.set(Some(e)),
                    }
                });
            }
            None => {
                form.busy.set(true);
                leptos::task::spawn_local(async move {
                    // Likely duplicates first: the user may open the existing account instead.
                    if !confirmed {
                        let mut url = format!(
                            "/api/v1/accounts/duplicates?name={}",
                            encode(values.name.trim())
                        );
                        if let Some((lon, lat)) = values.position {
                            url.push_str(&format!("&lon={lon}&lat={lat}"));
                        }
                        if let Ok(found) = rest::get::<Vec<Duplicate>>(&url).await
                            && !found.is_empty()
                        {
                            let mut named = Vec::new();
                            for d in found.into_iter().take(5) {
                                let account = rest::get::<Account>(&format!(
                                    "/api/v1/accounts/{}",
                                    d.account_id
                                ))
                                .await
                                .ok();
                                named.push((d, account));
                            }
                            form.duplicates.set(Some(named));
                            form.busy.set(false);
                            return;
                        }
                    }
                    form.duplicates.set(None);
                    let answer =
                        rest::send::<Account>("POST", "/api/v1/accounts", &values.create()).await;
                    form.busy.set(false);
                    match answer {
                        Ok(created) => go_to(&format!("/accounts/{}", created.id)),
                        Err(e) if e.status == 422 || e.status == 400 => {
                            form.error.set(Some(e.failure()));
                        }
                        Err(e) => form.failure.set(Some(e)),
                    }
                });
            }
        }
    };

    let duplicates = move || {
        form.duplicates.get().map(|found| {
            let rows = found
                .into_iter()
                .map(|(d, account)| {
                    let reasons = d.reasons.clone();
                    let reasons = move || {
                        reasons
                            .iter()
                            .map(|r| reason_text(r, locale.get()))
                            .collect::<Vec<_>>()
                            .join(" · ")
                    };
                    let name = account.map(|a| a.name).unwrap_or_else(|| format!("#{}", d.account_id));
                    view! {
                        <li data-testid="new-duplicate">
                            <strong>{name}</strong> " " <span class="muted">{reasons}</span> " "
                            <a class="link" href=format!("/accounts/{}", d.account_id)>{tr(AcText::OpenExisting)}</a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="ws-duplicates" data-testid="new-duplicates">
                    <h3>{tr(AcText::LikelyDuplicates)}</h3>
                    <ul>{rows}</ul>
                    <button class="ws-button" data-testid="save-anyway" on:click=move |_| save(true)>
                        {tr(AcText::SaveAnyway)}
                    </button>
                </div>
            }
        })
    };

    let conflict = move || {
        form.conflict.get().map(|latest| {
            let start = form.start.get_untracked();
            let mine = form.values.get_untracked();
            let now = FormValues::of(&latest);
            let changed = start.differing(&now);
            let rows = changed
                .iter()
                .map(|field| {
                    let name: &str = if *field == "position" { "lon" } else { field };
                    let label = field_label(name).unwrap_or(AcText::Field);
                    let shown = |text: String| {
                        if text.trim().is_empty() {
                            AcText::Empty.text(locale.get_untracked()).to_owned()
                        } else {
                            text
                        }
                    };
                    let yours = if start.differing(&mine).contains(field) {
                        shown(mine.get(field))
                    } else {
                        String::new()
                    };
                    view! {
                        <tr data-testid=format!("conflict-{field}")>
                            <th>{tr(label)}</th>
                            <td>{shown(start.get(field))}</td>
                            <td>{shown(now.get(field))}</td>
                            <td>{yours}</td>
                        </tr>
                    }
                })
                .collect_view();
            let reapply = {
                let latest = latest.clone();
                move |_| {
                    let start = form.start.get_untracked();
                    let mine = form.values.get_untracked();
                    let now = FormValues::of(&latest);
                    form.values.set(now.with_changes(&start, &mine));
                    form.position.set(now.with_changes(&start, &mine).position);
                    form.start.set(now);
                    form.version.set(latest.version);
                    form.conflict.set(None);
                    save(false);
                }
            };
            let discard = move |_| {
                let now = FormValues::of(&latest);
                form.position.set(now.position);
                form.values.set(now.clone());
                form.start.set(now);
                form.version.set(latest.version);
                form.conflict.set(None);
            };
            view! {
                <div class="ws-conflict" role="alert" data-testid="conflict">
                    <h3>{tr(AcText::ConflictTitle)}</h3>
                    <p>{tr(AcText::ConflictExplain)}</p>
                    <table class="ws-table">
                        <thead><tr>
                            <th>{tr(AcText::Field)}</th>
                            <th>{tr(AcText::YouStartedFrom)}</th>
                            <th>{tr(AcText::NowSaved)}</th>
                            <th>{tr(AcText::YourValue)}</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    <div class="ws-actions">
                        <button class="ws-button primary" data-testid="reapply" on:click=reapply>{tr(AcText::ReapplyMine)}</button>
                        <button class="ws-button" data-testid="discard" on:click=discard>{tr(AcText::DiscardMine)}</button>
                    </div>
                </div>
            }
        })
    };
    let failure = move || {
        form.failure
            .get()
            .map(|e| view! { <p class="error" role="alert" data-testid="form-failure">{refusal_text(&e, locale.get())}</p> })
    };
    let set_kind = move |ev: leptos::ev::Event| {
        let kind = event_target_value(&ev);
        let first = kind
            .parse::<AccountKind>()
            .ok()
            .and_then(|k| statuses_for(k).first().copied())
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        form.values.update(|v| {
            v.kind = kind;
            v.status = first;
        });
    };
    let set_status = move |ev: leptos::ev::Event| {
        let status = event_target_value(&ev);
        form.values.update(|v| v.status = status);
    };
    let set_owner = move |ev: leptos::ev::Event| {
        let owner = event_target_value(&ev);
        form.values.update(|v| v.owner_id = owner);
    };
    let submit_label = if existing.is_some() {
        AcText::Save
    } else {
        AcText::Create
    };

    view! {
        <form class="ws-form" data-testid="account-form" data-hydrated=move || hydrated.get().to_string() on:submit=move |ev| { ev.prevent_default(); save(false); }>
            <div class="ws-form-fields">
                <label>{tr(AcText::Name)} {input("name", "field-name")}</label>
                {error_of(&["name"])}
                <div class="ws-row">
                    <label>{tr(AcText::Kind)}
                        <select name="kind" data-testid="field-kind" on:change=set_kind>{kind_select}</select>
                    </label>
                    <label>{tr(AcText::Status)}
                        <select
                            name="status"
                            data-testid="field-status"
                            on:change=set_status
                            disabled=lead_moves_elsewhere
                        >
                            {status_select}
                        </select>
                        <Show when=lead_moves_elsewhere>
                            <a class="link small" href="/leads" data-testid="lead-flow-hint">{tr(AcText::LeadFlowHint)}</a>
                        </Show>
                    </label>
                </div>
                {error_of(&["kind", "status"])}
                <label>{tr(AcText::Segment)} {input("segment", "field-segment")}</label>
                {error_of(&["segment"])}
                <label>{tr(AcText::Address)}
                    <span class="ws-inline">
                        {input("address", "field-address")}
                        <button type="button" class="ws-button" data-testid="geocode" on:click=geocode>{tr(AcText::FindAddress)}</button>
                    </span>
                </label>
                {geocoded}
                {error_of(&["address"])}
                <p class="muted" data-testid="position">{tr(AcText::Position)} ": " {position_text}</p>
                {error_of(&["lon", "lat"])}
                <label>{tr(AcText::Tags)} " (" {tr(AcText::TagsHint)} ")" {input("tags", "field-tags")}</label>
                {error_of(&["tags"])}
                <label>{tr(AcText::ExternalId)} {input("external_id", "field-external-id")}</label>
                {error_of(&["external_id"])}
                <Show when=move || existing.is_some()>
                    <label>{tr(AcText::Owner)}
                        <select name="owner_id" data-testid="field-owner" on:change=set_owner>{owner_select}</select>
                    </label>
                    {error_of(&["owner_id", "territory_id"])}
                </Show>
                {failure}
                {duplicates}
                {conflict}
                <div class="ws-actions">
                    <button type="submit" class="ws-button primary" data-testid="save-account" disabled=move || form.busy.get()>
                        {tr(submit_label)}
                    </button>
                    <Show when=move || form.saved.get()>
                        <span class="muted" data-testid="saved">{tr(AcText::Saved)}</span>
                    </Show>
                </div>
            </div>
            <div class="ws-form-map">
                <PinMap position=form.position editable=true />
                <p class="muted">{tr(AcText::ClickOrDrag)}</p>
            </div>
        </form>
    }
}

/// The consent fields of one channel.
const CHANNELS: [(&str, AcText); 3] = [
    ("email", AcText::ConsentEmail),
    ("sms", AcText::ConsentSms),
    ("phone", AcText::ConsentPhone),
];

/// The consent fields of a contact, by API name.
const CONSENT_FIELDS: [&str; 9] = [
    "consent_email",
    "consent_email_on",
    "consent_email_source",
    "consent_sms",
    "consent_sms_on",
    "consent_sms_source",
    "consent_phone",
    "consent_phone_on",
    "consent_phone_source",
];

fn text_of(record: &Map<String, Value>, field: &str) -> String {
    record
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The digits of a phone number for `https://wa.me/`: country code 62 for a leading trunk 0.
pub fn whatsapp_number(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix('0') {
        Some(rest) => format!("62{rest}"),
        None => digits,
    };
    (digits.len() >= 6).then_some(digits)
}

#[derive(Debug, Clone, Deserialize)]
struct RecordPage {
    items: Vec<Map<String, Value>>,
}

use serde::Deserialize;

#[component]
fn Contacts(account_id: i64) -> impl IntoView {
    let locale = use_locale();
    let contacts: RwSignal<Option<Result<RecordPage, RestError>>> = RwSignal::new(None);
    let revision = RwSignal::new(0u32);
    let editing: RwSignal<Option<Map<String, Value>>> = RwSignal::new(None);
    Effect::new(move |_| {
        revision.track();
        load(
            format!("/api/v1/contacts?account_id={account_id}&limit=200"),
            contacts,
        );
    });
    let list = move || {
        match contacts.get() {
        None => view! { <p class="muted">{tr(Msg::Loading)}</p> }.into_any(),
        Some(Err(e)) if e.status == 403 => ().into_any(),
        Some(Err(_)) => view! { <p class="error">{tr(AcText::LoadFailed)}</p> }.into_any(),
        Some(Ok(page)) if page.items.is_empty() => {
            view! { <p class="muted">{tr(AcText::Nothing)}</p> }.into_any()
        }
        Some(Ok(page)) => page
            .items
            .into_iter()
            .map(|c| {
                let phone = text_of(&c, "phone");
                let email = text_of(&c, "email");
                let call = (!phone.is_empty()).then(|| {
                    view! { <a class="ws-link-button" href=format!("tel:{}", phone.replace(' ', "")) data-testid="contact-call">{tr(AcText::Call)} " " {phone.clone()}</a> }
                });
                let whatsapp = whatsapp_number(&phone).map(|n| {
                    view! { <a class="ws-link-button" href=format!("https://wa.me/{n}") target="_blank" rel="noopener" data-testid="contact-whatsapp">{tr(AcText::WhatsApp)}</a> }
                });
                let mail = (!email.is_empty()).then(|| {
                    view! { <a class="ws-link-button" href=format!("mailto:{email}") data-testid="contact-email">{tr(AcText::SendEmail)} " " {email.clone()}</a> }
                });
                let consents = CHANNELS
                    .iter()
                    .map(|(channel, label)| {
                        let answer = text_of(&c, &format!("consent_{channel}"));
                        let on = text_of(&c, &format!("consent_{channel}_on"));
                        let source = text_of(&c, &format!("consent_{channel}_source"));
                        let answer_text = match answer.as_str() {
                            "granted" => AcText::ConsentGranted,
                            "refused" => AcText::ConsentRefused,
                            _ => AcText::ConsentNotAsked,
                        };
                        let detail = move || {
                            let mut parts = Vec::new();
                            if !on.is_empty() {
                                parts.push(format!("{} {on}", AcText::ConsentOn.text(locale.get())));
                            }
                            if !source.is_empty() {
                                parts.push(format!("{} {source}", AcText::ConsentSource.text(locale.get())));
                            }
                            parts.join(", ")
                        };
                        view! {
                            <li class=format!("consent consent-{answer}") data-testid=format!("consent-{channel}")>
                                {tr(*label)} ": " {tr(answer_text)} " " <span class="muted">{detail}</span>
                            </li>
                        }
                    })
                    .collect_view();
                let edit = {
                    let c = c.clone();
                    move |_| editing.set(Some(c.clone()))
                };
                view! {
                    <li class="ws-contact" data-testid="contact">
                        <strong>{text_of(&c, "name")}</strong> " "
                        <span class="muted">{text_of(&c, "title")}</span>
                        <div class="ws-actions">{call}{whatsapp}{mail}
                            <button class="ws-button" data-testid="contact-edit" on:click=edit>{tr(AcText::Edit)}</button>
                        </div>
                        <ul class="ws-consents">{consents}</ul>
                    </li>
                }
                .into_any()
            })
            .collect_view()
            .into_any(),
    }
    };
    let may = move || !matches!(contacts.get(), Some(Err(ref e)) if e.status == 403);
    view! {
        <Show when=may>
            <section class="panel ws-contacts" data-testid="contacts">
                <h3>{tr(AcText::Contacts)}</h3>
                <ul class="ws-list">{list}</ul>
                <button class="ws-button" data-testid="add-contact" on:click=move |_| editing.set(Some(Map::new()))>
                    {tr(AcText::AddContact)}
                </button>
                {move || editing.get().map(|c| view! { <ContactForm account_id contact=c editing revision /> })}
            </section>
        </Show>
    }
}

#[component]
fn ContactForm(
    account_id: i64,
    contact: Map<String, Value>,
    editing: RwSignal<Option<Map<String, Value>>>,
    revision: RwSignal<u32>,
) -> impl IntoView {
    let locale = use_locale();
    let id = contact.get("id").and_then(Value::as_i64);
    let version = contact.get("version").and_then(Value::as_i64);
    let mut names = vec!["name", "title", "email", "phone"];
    names.extend(CONSENT_FIELDS);
    let values: Vec<(&'static str, RwSignal<String>)> = names
        .iter()
        .map(|n| (*n, RwSignal::new(text_of(&contact, n))))
        .collect();
    let signal = {
        let values = values.clone();
        move |name: &str| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| *s)
                .expect("a field of the form")
        }
    };
    let error: RwSignal<Option<RestError>> = RwSignal::new(None);
    let error_for = move |fields: Vec<&'static str>| {
        move || {
            error.get().and_then(|e| {
                let field = e.field().unwrap_or_default().to_owned();
                fields.contains(&field.as_str()).then(|| {
                    view! { <p class="field-error" data-testid=format!("contact-error-{field}")>{field_refusal(&e.failure(), locale.get())}</p> }
                })
            })
        }
    };
    let text_input = {
        let signal = signal.clone();
        move |name: &'static str, label: AcText, kind: &'static str| {
            let s = signal(name);
            view! {
                <label>{tr(label)}
                    <input type=kind name=name data-testid=format!("contact-{name}") prop:value=move || s.get() on:input=move |ev| s.set(event_target_value(&ev)) />
                </label>
                {error_for(vec![name])}
            }
        }
    };
    let consents = CHANNELS
        .iter()
        .map(|(channel, label)| {
            let answer = signal(&format!("consent_{channel}"));
            let on = signal(&format!("consent_{channel}_on"));
            let source = signal(&format!("consent_{channel}_source"));
            let options = [
                ("", AcText::ConsentNotAsked),
                ("granted", AcText::ConsentGranted),
                ("refused", AcText::ConsentRefused),
            ]
            .into_iter()
            .map(|(value, text)| {
                view! { <option value=value selected=move || answer.get() == value>{tr(text)}</option> }
            })
            .collect_view();
            let fields: Vec<&'static str> = CONSENT_FIELDS
                .iter()
                .copied()
                .filter(|f| f.starts_with(&format!("consent_{channel}")))
                .collect();
            view! {
                <fieldset class="ws-consent" data-testid=format!("consent-form-{channel}")>
                    <legend>{tr(*label)}</legend>
                    <select data-testid=format!("contact-consent_{channel}") on:change=move |ev| answer.set(event_target_value(&ev))>{options}</select>
                    <label>{tr(AcText::ConsentOn)}
                        <input type="date" data-testid=format!("contact-consent_{channel}_on") prop:value=move || on.get() on:input=move |ev| on.set(event_target_value(&ev)) />
                    </label>
                    <label>{tr(AcText::ConsentSource)}
                        <input type="text" data-testid=format!("contact-consent_{channel}_source") prop:value=move || source.get() on:input=move |ev| source.set(event_target_value(&ev)) />
                    </label>
                    {error_for(fields)}
                </fieldset>
            }
        })
        .collect_view();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut body = Map::new();
        for (name, s) in &values {
            let text = s.get_untracked().trim().to_owned();
            let before = text_of(&contact, name);
            if id.is_some() && text == before {
                continue;
            }
            body.insert(
                (*name).into(),
                if text.is_empty() {
                    Value::Null
                } else {
                    Value::from(text)
                },
            );
        }
        let (method, url) = match (id, version) {
            (Some(id), Some(version)) => {
                body.insert("version".into(), version.into());
                ("PATCH", format!("/api/v1/contacts/{id}"))
            }
            _ => {
                body.insert("account_id".into(), account_id.into());
                body.retain(|_, v| !v.is_null());
                ("POST", "/api/v1/contacts".to_owned())
            }
        };
        error.set(None);
        leptos::task::spawn_local(async move {
            match rest::send::<Value>(method, &url, &Value::Object(body)).await {
                Ok(_) => {
                    editing.set(None);
                    revision.update(|r| *r += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let other_error = move || {
        error.get().filter(|e| e.field().is_none()).map(|e| {
            view! { <p class="error" role="alert">{refusal_text(&e, locale.get())}</p> }
        })
    };
    view! {
        <form class="ws-form ws-contact-form" data-testid="contact-form" on:submit=save>
            {text_input("name", AcText::ContactName, "text")}
            {text_input("title", AcText::JobTitle, "text")}
            {text_input("email", AcText::Email, "email")}
            {text_input("phone", AcText::Phone, "tel")}
            {consents}
            {other_error}
            <div class="ws-actions">
                <button type="submit" class="ws-button primary" data-testid="contact-save">{tr(AcText::Save)}</button>
                <button type="button" class="ws-button" on:click=move |_| editing.set(None)>{tr(AcText::Cancel)}</button>
            </div>
        </form>
    }
}

/// Deals, cases and visits of the account, each where the role may read them.
#[component]
fn Related(account_id: i64) -> impl IntoView {
    let locale = use_locale();
    let section = move |resource: &'static str,
                        title: AcText,
                        line: fn(&Map<String, Value>, Locale) -> String| {
        let page: RwSignal<Option<Result<RecordPage, RestError>>> = RwSignal::new(None);
        Effect::new(move |_| {
            load(
                format!("/api/v1/{resource}?account_id={account_id}&limit=50"),
                page,
            );
        });
        let body = move || {
            match page.get() {
            None => view! { <li class="muted">{tr(Msg::Loading)}</li> }.into_any(),
            Some(Err(_)) => ().into_any(),
            Some(Ok(p)) if p.items.is_empty() => view! { <li class="muted">{tr(AcText::Nothing)}</li> }.into_any(),
            Some(Ok(p)) => p
                .items
                .into_iter()
                .map(|r| view! { <li data-testid=format!("{resource}-item")>{move || line(&r, locale.get())}</li> })
                .collect_view()
                .into_any(),
        }
        };
        let may = move || !matches!(page.get(), Some(Err(_)));
        view! {
            <Show when=may>
                <section class="panel" data-testid=format!("account-{resource}")>
                    <h3>{tr(title)}</h3>
                    <ul class="ws-list">{body}</ul>
                </section>
            </Show>
        }
    };
    view! {
        {section("opportunities", AcText::Deals, |r, l| {
            let money = crate::format_money(r.get("value_minor").and_then(Value::as_i64).unwrap_or(0), &text_of(r, "currency"));
            format!("{} · {} · {}", text_of(r, "title"), code_text(&text_of(r, "stage"), l), money)
        })}
        {section("cases", AcText::Cases, |r, l| {
            format!("{} · {} · {}", text_of(r, "subject"), code_text(&text_of(r, "status"), l), code_text(&text_of(r, "priority"), l))
        })}
        {section("visits", AcText::Visits, |r, l| {
            let day: String = text_of(r, "window_start").chars().take(10).collect();
            format!("{day} · {}", code_text(&text_of(r, "status"), l))
        })}
    }
}

#[component]
fn Timeline(account_id: i64) -> impl IntoView {
    let locale = use_locale();
    let entries: RwSignal<Option<Result<Vec<wilayah_shared::account::TimelineEntry>, RestError>>> =
        RwSignal::new(None);
    Effect::new(move |_| {
        load(
            format!("/api/v1/accounts/{account_id}/history?limit=100"),
            entries,
        );
    });
    let body = move || {
        match entries.get() {
        None => view! { <li class="muted">{tr(Msg::Loading)}</li> }.into_any(),
        Some(Err(_)) => view! { <li class="error">{tr(AcText::LoadFailed)}</li> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! { <li class="muted">{tr(AcText::Nothing)}</li> }.into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|e| {
                let label = e.label.clone();
                let (title, channel) = (e.title.clone(), e.channel.clone());
                view! {
                    <li class="timeline-entry" data-testid="timeline-entry">
                        <span class="when">{let day = e.at.date_naive(); move || crate::format_date(day)}</span>
                        " "
                        <span class=format!("tag tag-{}", e.kind)>{move || code_text(&label, locale.get())}</span>
                        " "
                        <span>{move || crate::cases::history_title(&title, channel.as_deref(), locale.get())}</span>
                    </li>
                }
            })
            .collect_view()
            .into_any(),
    }
    };
    view! {
        <section class="panel ws-timeline" data-testid="account-timeline">
            <h3>{tr(AcText::Timeline)}</h3>
            <ul class="timeline">{body}</ul>
        </section>
    }
}

/// Products this customer's look-alikes buy and it does not (cross-sell), each one tap from a
/// follow-up task ("Offer …") the user can adjust before saving.
#[component]
fn Suggestions(account_id: i64) -> impl IntoView {
    let locale = use_locale();
    let found: RwSignal<Option<Result<Value, RestError>>> = RwSignal::new(None);
    let open_for: RwSignal<Option<String>> = RwSignal::new(None);
    let done: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let may_task = crate::use_signed_in()
        .is_some_and(|c| c.may("tasks", wilayah_shared::access::Action::Create));
    Effect::new(move |_| {
        load(
            format!("/api/v1/accounts/{account_id}/recommendations?limit=5"),
            found,
        );
    });
    let rows = move || match found.get() {
        None => view! { <li class="muted">{tr(Msg::Loading)}</li> }.into_any(),
        Some(Err(_)) => view! { <li class="error">{tr(AcText::LoadFailed)}</li> }.into_any(),
        Some(Ok(v)) => {
            let products = v["products"].as_array().cloned().unwrap_or_default();
            if products.is_empty() {
                return view! { <li class="muted">{tr(AcText::NoSuggestions)}</li> }.into_any();
            }
            products
                .into_iter()
                .map(|p| {
                    let sku = p["sku"].as_str().unwrap_or_default().to_owned();
                    let buyers = p["neighbours"].as_u64().unwrap_or(0);
                    let (for_form, for_button, for_done) = (sku.clone(), sku.clone(), sku.clone());
                    let title = move || {
                        AcText::OfferProduct
                            .text(locale.get())
                            .replacen("{}", &for_form, 1)
                    };
                    let is_open = {
                        let sku = sku.clone();
                        move || open_for.with(|o| o.as_deref() == Some(sku.as_str()))
                    };
                    view! {
                        <li class="ws-suggestion" data-testid="suggestion">
                            <strong>{sku.clone()}</strong>
                            " · "
                            <span class="muted">
                                {move || AcText::LookAlikesBuy.text(locale.get()).replacen("{}", &buyers.to_string(), 1)}
                            </span>
                            {move || done.with(|d| d.contains(&for_done)).then(|| view! {
                                " · " <span class="ok">{tr(AcText::TaskAdded)}</span>
                            })}
                            {may_task.then(|| {
                                let sku = for_button.clone();
                                view! {
                                    <button class="ws-button subtle" data-testid="suggestion-task"
                                        on:click=move |_| open_for.set(Some(sku.clone()))>
                                        {tr(AcText::AddTask)}
                                    </button>
                                }
                            })}
                            <Show when=is_open.clone()>
                                {
                                    let sku = sku.clone();
                                    view! {
                                        <crate::pipeline::NewTaskForm
                                            account_id
                                            suggested_title=title()
                                            on_saved=move |_| done.update(|d| d.push(sku.clone()))
                                            on_close=move |_| open_for.set(None)
                                        />
                                    }
                                }
                            </Show>
                        </li>
                    }
                })
                .collect_view()
                .into_any()
        }
    };
    view! {
        <section class="panel ws-suggestions" data-testid="account-suggestions">
            <h3>{tr(AcText::Suggestions)}</h3>
            <p class="muted small">{tr(AcText::SuggestionsHint)}</p>
            <ul class="ws-list">{rows}</ul>
        </section>
    }
}

/// Likely duplicates of this account, each with "merge into this account".
#[component]
fn Duplicates(account_id: i64, version: i64, revision: RwSignal<u32>) -> impl IntoView {
    let locale = use_locale();
    let found: RwSignal<Option<Vec<LikelyDuplicate>>> = RwSignal::new(None);
    let error: RwSignal<Option<RestError>> = RwSignal::new(None);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let list =
                rest::get::<Vec<Duplicate>>(&format!("/api/v1/accounts/{account_id}/duplicates"))
                    .await
                    .unwrap_or_default();
            let mut named = Vec::new();
            for d in list.into_iter().take(10) {
                let account = rest::get::<Account>(&format!("/api/v1/accounts/{}", d.account_id))
                    .await
                    .ok();
                named.push((d, account));
            }
            found.set(Some(named));
        });
    });
    let merge = move |from: i64| {
        leptos::task::spawn_local(async move {
            let body = json!({ "from": from, "version": version });
            match rest::send::<Value>(
                "POST",
                &format!("/api/v1/accounts/{account_id}/merge"),
                &body,
            )
            .await
            {
                Ok(_) => revision.update(|r| *r += 1),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let rows = move || {
        found.get().map(|list| {
            if list.is_empty() {
                return view! { <li class="muted">{tr(AcText::NoDuplicates)}</li> }.into_any();
            }
            list.into_iter()
                .map(|(d, account)| {
                    let reasons = d.reasons.clone();
                    let from = d.account_id;
                    let name = account.map(|a| a.name).unwrap_or_else(|| format!("#{from}"));
                    view! {
                        <li data-testid="duplicate">
                            <a class="link" href=format!("/accounts/{from}")>{name}</a> " "
                            <span class="muted">{move || reasons.iter().map(|r| reason_text(r, locale.get())).collect::<Vec<_>>().join(" · ")}</span> " "
                            <button class="ws-button" data-testid="merge" on:click=move |_| merge(from)>{tr(AcText::MergeIntoThis)}</button>
                        </li>
                    }
                    .into_any()
                })
                .collect_view()
                .into_any()
        })
    };
    view! {
        <section class="panel" data-testid="account-duplicates">
            <h3>{tr(AcText::LikelyDuplicates)}</h3>
            <ul class="ws-list">{rows}</ul>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{refusal_text(&e, locale.get())}</p> })}
        </section>
    }
}

#[component]
fn DeleteAccount(account_id: i64, version: i64) -> impl IntoView {
    let locale = use_locale();
    let asked = RwSignal::new(false);
    let error: RwSignal<Option<RestError>> = RwSignal::new(None);
    let confirm = move |_| {
        leptos::task::spawn_local(async move {
            match rest::delete(&format!("/api/v1/accounts/{account_id}?version={version}")).await {
                Ok(()) => go_to("/accounts"),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="panel ws-delete" data-testid="account-delete">
            <Show
                when=move || asked.get()
                fallback=move || view! { <button class="ws-button danger" data-testid="delete" on:click=move |_| asked.set(true)>{tr(AcText::Delete)}</button> }
            >
                <button class="ws-button danger" data-testid="confirm-delete" on:click=confirm>{tr(AcText::ConfirmDelete)}</button>
                <button class="ws-button" on:click=move |_| asked.set(false)>{tr(AcText::Cancel)}</button>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{refusal_text(&e, locale.get())}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> FormValues {
        FormValues {
            name: "Toko Maju".into(),
            kind: "customer".into(),
            status: "active".into(),
            segment: "retail".into(),
            address: "Jl. Braga 1, Bandung".into(),
            external_id: String::new(),
            tags: "vip, grosir".into(),
            owner_id: "3".into(),
            position: Some((107.6, -6.9)),
        }
    }

    #[test]
    fn a_patch_carries_only_what_the_user_changed() {
        let start = values();
        let mut mine = start.clone();
        mine.name = "Toko Maju Jaya".into();
        mine.segment = String::new();
        mine.tags = "vip".into();
        assert_eq!(
            mine.patch(&start, 4),
            json!({"version": 4, "name": "Toko Maju Jaya", "segment": null, "tags": ["vip"]})
        );
        assert_eq!(start.patch(&start, 4), json!({"version": 4}));
    }

    #[test]
    fn reapplying_keeps_the_others_change_and_the_users() {
        let start = values();
        let mut mine = start.clone();
        mine.name = "Mine".into();
        let mut theirs = start.clone();
        theirs.segment = "grosir".into();
        theirs.name = "Theirs".into();
        assert_eq!(start.differing(&theirs), vec!["name", "segment"]);
        let merged = theirs.with_changes(&start, &mine);
        assert_eq!(
            (merged.name.as_str(), merged.segment.as_str()),
            ("Mine", "grosir")
        );
        assert_eq!(
            merged.patch(&theirs, 5),
            json!({"version": 5, "name": "Mine"})
        );
    }

    #[test]
    fn a_new_account_without_a_position_is_placed_by_its_address() {
        let mut v = values();
        v.position = None;
        v.owner_id = String::new();
        let body = v.create();
        assert!(
            body.get("lon").is_none() && body.get("owner_id").is_none(),
            "{body}"
        );
        assert_eq!(body["address"], "Jl. Braga 1, Bandung");
    }

    #[test]
    fn field_errors_are_said_by_their_code_never_raw() {
        let failure = |body: &str| ApiFailure::from_answer(422, body);
        assert_eq!(
            field_refusal(
                &failure(r#"{"error":"name: must not be empty","code":"required","field":"name"}"#),
                Locale::Id
            ),
            "Nama: wajib diisi"
        );
        assert_eq!(
            field_refusal(
                &failure(
                    r#"{"error":"x","code":"too_long","params":{"max":"200"},"field":"name"}"#
                ),
                Locale::Id
            ),
            "Nama: lebih dari 200 karakter"
        );
        // A code this build does not know reads as a general refusal, never the English.
        let unknown = field_refusal(
            &failure(r#"{"error":"English only","code":"brand_new","field":"segment"}"#),
            Locale::Id,
        );
        assert!(unknown.starts_with("Segmen: "), "{unknown}");
        assert!(!unknown.contains("English"), "{unknown}");
        assert_eq!(
            field_refusal(
                &failure(r#"{"error":"x","code":"required","field":"consent_email_on"}"#),
                Locale::En
            ),
            "E-mail consent: is required"
        );
    }

    #[test]
    fn whatsapp_links_use_the_country_code() {
        assert_eq!(
            whatsapp_number("0812-3456-789"),
            Some("628123456789".into())
        );
        assert_eq!(
            whatsapp_number("+62 812 3456 789"),
            Some("628123456789".into())
        );
        assert_eq!(whatsapp_number("12"), None);
    }

    #[test]
    fn every_text_has_both_languages() {
        for field in ["name", "status", "address", "email", "consent_sms_on"] {
            let label = field_label(field).unwrap();
            assert!(!label.text(Locale::Id).is_empty());
        }
        for code in [
            "new",
            "in_progress",
            "urgent",
            "complaint",
            "proposal",
            "on_site",
        ] {
            assert_ne!(
                code_text(code, Locale::Id),
                AcText::Other.text(Locale::Id),
                "{code}"
            );
        }
    }
}
