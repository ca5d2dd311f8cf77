//! Every piece of UI text, in English and Bahasa Indonesia, in one place.
//!
//! Each [`Msg`] must give both languages (the match is exhaustive), so a new label cannot ship in
//! English only. The chosen language lives in a cookie so the server renders the same text the
//! browser hydrates.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Locale {
    #[default]
    En,
    Id,
}

pub const LOCALE_COOKIE: &str = "wilayah_lang";

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Id => "id",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim() {
            "en" => Some(Locale::En),
            "id" => Some(Locale::Id),
            _ => None,
        }
    }

    pub fn other(self) -> Self {
        match self {
            Locale::En => Locale::Id,
            Locale::Id => Locale::En,
        }
    }

    /// Finds our cookie in a `Cookie` header value (`a=1; wilayah_lang=id`).
    pub fn from_cookie_header(header: &str) -> Option<Self> {
        header.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == LOCALE_COOKIE)
                .then(|| Locale::from_code(value))
                .flatten()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    AppName,
    Tagline,
    Customers,
    Prospects,
    Reps,
    Territories,
    VisitsToday,
    Layers,
    Legend,
    Loading,
    LoadFailed,
    SwitchLanguage,
    MapLabel,
    BasemapAttribution,
    NotFound,
    Close,
    Owner,
    Revenue,
    CostToServe,
    Margin,
    Contacts,
    OpenDeals,
    OpenCases,
    LastVisit,
    History,
    Nothing,
    Customer,
    Prospect,
    AccountMissing,
    NearbyProspects,
    FindNearby,
    // Map dashboard: filters, side list, KPIs, panel actions, legend.
    Filters,
    Any,
    KindLabel,
    StatusLabel,
    SegmentLabel,
    TagLabel,
    StageLabel,
    ClearFilters,
    ColourBy,
    ShadeTerritoriesBy,
    ShadeByRep,
    ShadeOverCustomers,
    ListTab,
    KpiTab,
    LegendTab,
    AccountsMatch,
    Previous,
    Next,
    ByRep,
    ByTerritory,
    Pipeline,
    VisitsDone,
    Unassigned,
    AllShown,
    LogActivity,
    OpenCase,
    Subject,
    Notes,
    Priority,
    Save,
    Cancel,
    Saved,
    ContactKind,
    KindCall,
    KindEmail,
    KindMeeting,
    KindNote,
    PriorityLow,
    PriorityNormal,
    PriorityHigh,
    PriorityUrgent,
    NearestCount,
    WithinKm,
    Search,
    NearHere,
    NoneFound,
    StatusActive,
    StatusAtRisk,
    StatusChurned,
    StatusNew,
    StatusContacted,
    StatusQualified,
    StatusDisqualified,
    StageLead,
    StageQualified,
    StageProposal,
    StageNegotiation,
    StageWon,
    StageLost,
    VisitScheduled,
    VisitEnRoute,
    VisitOnSite,
    VisitDone,
    VisitMissed,
    VisitStatuses,
    AddToRoute,
    RouteTechnician,
    AddedFits,
    AddedNoRoom,
    // Field service (technician view, /tech)
    FieldTitle,
    FieldOnline,
    FieldOffline,
    FieldPending,
    FieldSyncNow,
    FieldChooseTechnician,
    FieldNotApplied,
    FieldNoVisits,
    FieldScheduled,
    FieldEnRoute,
    FieldOnSite,
    FieldDone,
    FieldMissed,
    FieldStartDriving,
    FieldArrived,
    FieldMarkDone,
    FieldMarkMissed,
    FieldWindow,
    FieldPlanned,
    FieldNotPlanned,
    FieldFarWarning,
    FieldNavigate,
    FieldCheckIn,
    FieldOutcomeNotes,
    FieldOutcome,
    FieldNotes,
    FieldSaveReport,
    FieldAlongTheRoute,
    FieldFindProspects,
    FieldAddStop,
    FieldNoLocation,
    FieldNoProspects,
    FieldAtRiskTitle,
    FieldSurveyAsk,
    FieldSurveyComment,
    FieldSurveySave,
    FieldSurveyAnswered,
    FieldFindAtRisk,
    FieldNoAtRisk,
    FieldChurnRisk,
    FieldFrom,
    FieldNeedsConnection,
    FieldSessionEnded,
    FieldSignInAgain,
    FieldUnsentWarning,
    FieldSendFirst,
    FieldSignOutAnyway,
    FieldReplan,
    FieldReplannedHere,
    // Territory planning (planner page)
    PlannerTitle,
    PlannerLink,
    MapLink,
    DraftLabel,
    NewDraft,
    DrawTerritory,
    EditShapes,
    SplitTerritory,
    MergeTicked,
    DeleteTerritory,
    NoRep,
    Problems,
    NoProblems,
    ProblemSelfIntersection,
    ProblemOverlap,
    ProblemGap,
    ProblemInvalid,
    ProblemName,
    BalanceTitle,
    Measure,
    MeasureAccounts,
    MeasureRevenue,
    MeasureVisitHours,
    Seed,
    RunBalance,
    Before,
    After,
    Spread,
    Preview,
    Publish,
    PublishedCount,
    StaleDraft,
    Rebase,
    AccountsMoving,
    UnassignedAccounts,
    ImportGeojson,
    ImportFeature,
    ImportFeatureNamed,
    ImportNotJson,
    ImportNotFeatures,
    ImportEmpty,
    ImportNotArea,
    ImportBadOwner,
    ImportRefused,
    ImportedCount,
    ExportGeojson,
    ExportPublished,
    Accounts,
    VisitHours,
    ActorName,
    ActionFailed,
    DrawHint,
    NewTerritoryName,
    PlannerMapLabel,
    // Accounts, roles and security (sign-in pages)
    SignIn,
    SignOut,
    Email,
    Password,
    LoginInvalid,
    LoginLimited,
    SetupTitle,
    SetupIntro,
    SetupInvalid,
    CreateAdmin,
    AdminTitle,
    AdminOnly,
    BackToMap,
    PageForbidden,
    PageForbiddenHint,
    Users,
    AddUser,
    ResetPassword,
    ApiTokens,
    CreateToken,
    TokenShownOnce,
    Revoke,
    Revoked,
    // The app shell
    NavLabel,
    NavAccounts,
    NavMore,
    NavMyDay,
    NavLeads,
    NavPipeline,
    NavToday,
    NavImport,
    NavPlanner,
    NavAdmin,
    NavAnalytics,
    RoleAdmin,
    RoleManager,
    RolePlanner,
    RoleSalesRep,
    RoleTechnician,
    // Stored codes shown by name
    CaseNew,
    CaseInProgress,
    CaseResolved,
    CaseClosed,
    ReasonNoSuitableTechnician,
    ReasonExceedsCapacity,
    ReasonOutsideWorkingHours,
    ReasonNoRoom,
    ReasonNoHomeBase,
    OtherValue,
    // Sales pages (their own texts are in `sales::SalesText`).
    NavCatalogue,
    NavOrders,
    // The service desk (its own texts are in `cases::CaseText`, `intake::IntakeText`).
    NavCases,
    NavCallCentre,
    NavReport,
    NavSurvey,
    // Campaigns (their own texts are in `campaigns::CampaignText`).
    NavSegments,
    NavCampaigns,
    QuoteTitle,
    OrderTitle,
}

/// A UI text in English and Bahasa Indonesia. [`Msg`] holds the texts several pages share; a page
/// with many texts of its own keeps them in its own enum beside its code (an exhaustive match
/// there too), so pages grow without all editing one list.
pub trait Text: Copy + Send + Sync + 'static {
    /// `[English, Bahasa Indonesia]`.
    fn both(self) -> [&'static str; 2];

    fn text(self, locale: Locale) -> &'static str {
        let [en, id] = self.both();
        match locale {
            Locale::En => en,
            Locale::Id => id,
        }
    }
}

impl Msg {
    pub fn text(self, locale: Locale) -> &'static str {
        Text::text(self, locale)
    }
}

impl Text for Msg {
    fn both(self) -> [&'static str; 2] {
        match self {
            Msg::AppName => ["Wilayah", "Wilayah"],
            Msg::Tagline => [
                "Customers and territories at a glance",
                "Pelanggan dan wilayah dalam satu peta",
            ],
            Msg::Customers => ["Customers", "Pelanggan"],
            Msg::Prospects => ["Prospects", "Prospek"],
            Msg::Reps => ["Sales reps", "Tenaga penjual"],
            Msg::Territories => ["Territories", "Wilayah penjualan"],
            Msg::VisitsToday => ["Visits today", "Kunjungan hari ini"],
            Msg::Layers => ["Layers", "Lapisan"],
            Msg::Legend => ["Legend", "Keterangan"],
            Msg::Loading => ["Loading…", "Memuat…"],
            Msg::LoadFailed => ["Could not load the figures", "Gagal memuat angka"],
            Msg::SwitchLanguage => ["Bahasa Indonesia", "English"],
            Msg::MapLabel => [
                "Map of customers and prospects",
                "Peta pelanggan dan prospek",
            ],
            Msg::BasemapAttribution => ["Countries: Natural Earth", "Negara: Natural Earth"],
            Msg::NotFound => ["Page not found", "Halaman tidak ditemukan"],
            Msg::Close => ["Close", "Tutup"],
            Msg::Owner => ["Owner", "Penanggung jawab"],
            Msg::Revenue => ["Revenue to date", "Pendapatan"],
            Msg::CostToServe => ["Cost to serve", "Biaya layanan"],
            Msg::Margin => [
                "Margin (revenue − cost of goods)",
                "Margin (pendapatan − HPP)",
            ],
            Msg::Contacts => ["Contacts", "Kontak"],
            Msg::OpenDeals => ["Open deals", "Peluang terbuka"],
            Msg::OpenCases => ["Open cases", "Keluhan terbuka"],
            Msg::LastVisit => ["Last visit", "Kunjungan terakhir"],
            Msg::History => ["Contact history", "Riwayat kontak"],
            Msg::Nothing => ["None", "Tidak ada"],
            Msg::Customer => ["Customer", "Pelanggan"],
            Msg::Prospect => ["Prospect", "Prospek"],
            Msg::AccountMissing => ["This account no longer exists", "Akun ini sudah tidak ada"],
            Msg::NearbyProspects => ["Nearby prospects", "Prospek terdekat"],
            Msg::FindNearby => [
                "Show the 10 nearest prospects",
                "Tampilkan 10 prospek terdekat",
            ],
            // Map dashboard.
            Msg::Filters => ["Filters", "Filter"],
            Msg::Any => ["Any", "Semua"],
            Msg::KindLabel => ["Type", "Jenis"],
            Msg::StatusLabel => ["Status", "Status"],
            Msg::SegmentLabel => ["Segment", "Segmen"],
            Msg::TagLabel => ["Tag", "Label"],
            Msg::StageLabel => ["Has a deal at stage", "Punya peluang di tahap"],
            Msg::ClearFilters => ["Clear filters", "Hapus filter"],
            Msg::ColourBy => ["Colour points by", "Warnai titik menurut"],
            Msg::ShadeTerritoriesBy => ["Fill territories by", "Isi wilayah menurut"],
            Msg::ShadeByRep => ["Rep", "Tenaga penjual"],
            Msg::ShadeOverCustomers => [
                "Over your customers in each territory, last 12 months:",
                "Atas pelanggan Anda di setiap wilayah, 12 bulan terakhir:",
            ],
            Msg::ListTab => ["List", "Daftar"],
            Msg::KpiTab => ["KPIs", "KPI"],
            Msg::LegendTab => ["Layers & legend", "Lapisan & keterangan"],
            Msg::AccountsMatch => ["accounts match", "akun cocok"],
            Msg::Previous => ["Previous", "Sebelumnya"],
            Msg::Next => ["Next", "Berikutnya"],
            Msg::ByRep => ["By rep", "Per tenaga penjual"],
            Msg::ByTerritory => ["By territory", "Per wilayah"],
            Msg::Pipeline => ["Open pipeline", "Pipeline terbuka"],
            Msg::VisitsDone => ["Visits done today", "Kunjungan selesai hari ini"],
            Msg::Unassigned => ["Unassigned", "Belum ditugaskan"],
            Msg::AllShown => ["Everything shown", "Semua yang tampil"],
            Msg::LogActivity => ["Log an activity", "Catat aktivitas"],
            Msg::OpenCase => ["Open a case", "Buka keluhan"],
            Msg::Subject => ["Subject", "Perihal"],
            Msg::Notes => ["Notes", "Catatan"],
            Msg::Priority => ["Priority", "Prioritas"],
            Msg::Save => ["Save", "Simpan"],
            Msg::Cancel => ["Cancel", "Batal"],
            Msg::Saved => ["Saved", "Tersimpan"],
            Msg::ContactKind => ["Kind of contact", "Jenis kontak"],
            Msg::KindCall => ["Call", "Telepon"],
            Msg::KindEmail => ["E-mail", "Surel"],
            Msg::KindMeeting => ["Meeting", "Rapat"],
            Msg::KindNote => ["Note", "Catatan"],
            Msg::PriorityLow => ["Low", "Rendah"],
            Msg::PriorityNormal => ["Normal", "Normal"],
            Msg::PriorityHigh => ["High", "Tinggi"],
            Msg::PriorityUrgent => ["Urgent", "Mendesak"],
            Msg::NearestCount => ["Nearest", "Terdekat"],
            Msg::WithinKm => ["Within km", "Dalam radius km"],
            Msg::Search => ["Search", "Cari"],
            Msg::NearHere => ["Prospects near this spot", "Prospek di sekitar titik ini"],
            Msg::NoneFound => ["Nothing found", "Tidak ditemukan"],
            Msg::StatusActive => ["Active", "Aktif"],
            Msg::StatusAtRisk => ["At risk", "Berisiko"],
            Msg::StatusChurned => ["Churned", "Berhenti"],
            Msg::StatusNew => ["New", "Baru"],
            Msg::StatusContacted => ["Contacted", "Sudah dihubungi"],
            Msg::StatusQualified => ["Qualified", "Memenuhi syarat"],
            Msg::StatusDisqualified => ["Disqualified", "Tidak memenuhi syarat"],
            Msg::StageLead => ["Lead", "Prospek awal"],
            Msg::StageQualified => ["Qualified", "Memenuhi syarat"],
            Msg::StageProposal => ["Proposal", "Penawaran"],
            Msg::StageNegotiation => ["Negotiation", "Negosiasi"],
            Msg::StageWon => ["Won", "Menang"],
            Msg::StageLost => ["Lost", "Kalah"],
            Msg::VisitScheduled => ["Scheduled", "Terjadwal"],
            Msg::VisitEnRoute => ["En route", "Dalam perjalanan"],
            Msg::VisitOnSite => ["On site", "Di lokasi"],
            Msg::VisitDone => ["Done", "Selesai"],
            Msg::VisitMissed => ["Missed", "Terlewat"],
            Msg::VisitStatuses => ["Visit status", "Status kunjungan"],
            Msg::AddToRoute => ["Add to today's route", "Tambah ke rute hari ini"],
            Msg::RouteTechnician => [
                "Technician for today's route",
                "Teknisi untuk rute hari ini",
            ],
            Msg::AddedFits => ["Added: fits the route", "Ditambahkan: muat di rute"],
            Msg::AddedNoRoom => [
                "Added: no room left today",
                "Ditambahkan: tidak ada waktu tersisa hari ini",
            ],
            // Field service (technician view, /tech)
            Msg::FieldTitle => ["Today's route", "Rute hari ini"],
            Msg::FieldOnline => ["Online", "Daring"],
            Msg::FieldOffline => ["Offline", "Luring"],
            Msg::FieldPending => ["waiting to send", "menunggu dikirim"],
            Msg::FieldSyncNow => ["Sync now", "Sinkronkan"],
            Msg::FieldChooseTechnician => ["Choose a technician", "Pilih teknisi"],
            Msg::FieldNotApplied => [
                "Not applied: the visit changed meanwhile",
                "Tidak diterapkan: kunjungan sudah berubah",
            ],
            Msg::FieldNoVisits => ["No visits today", "Tidak ada kunjungan hari ini"],
            Msg::FieldScheduled => ["Scheduled", "Terjadwal"],
            Msg::FieldEnRoute => ["En route", "Dalam perjalanan"],
            Msg::FieldOnSite => ["On site", "Di lokasi"],
            Msg::FieldDone => ["Done", "Selesai"],
            Msg::FieldMissed => ["Missed", "Terlewat"],
            Msg::FieldStartDriving => ["Start driving", "Berangkat"],
            Msg::FieldArrived => ["Arrived", "Tiba"],
            Msg::FieldMarkDone => ["Done", "Selesai"],
            Msg::FieldMarkMissed => ["Missed", "Terlewat"],
            Msg::FieldWindow => ["Window", "Jendela waktu"],
            Msg::FieldPlanned => ["planned", "rencana"],
            Msg::FieldNotPlanned => ["Does not fit the route", "Tidak muat dalam rute"],
            Msg::FieldFarWarning => [
                "Checked in far from the customer:",
                "Check-in jauh dari pelanggan:",
            ],
            Msg::FieldNavigate => ["Navigate", "Navigasi"],
            Msg::FieldCheckIn => ["Check in", "Check-in"],
            Msg::FieldOutcomeNotes => ["Outcome and notes", "Hasil dan catatan"],
            Msg::FieldOutcome => ["Outcome", "Hasil"],
            Msg::FieldNotes => ["Notes", "Catatan"],
            Msg::FieldSaveReport => ["Save", "Simpan"],
            Msg::FieldAlongTheRoute => ["Prospects along the route", "Prospek di sepanjang rute"],
            Msg::FieldFindProspects => ["Find prospects that fit", "Cari prospek yang muat"],
            Msg::FieldAddStop => ["Add to route", "Tambahkan ke rute"],
            Msg::FieldNoLocation => [
                "Location unavailable: allow location access and try again",
                "Lokasi tidak tersedia: izinkan akses lokasi lalu coba lagi",
            ],
            Msg::FieldSurveyAsk => [
                "Hand the tablet to the customer: how satisfied are you with this visit?",
                "Serahkan tablet ke pelanggan: seberapa puas Anda dengan kunjungan ini?",
            ],
            Msg::FieldSurveyComment => [
                "Customer's comment (optional)",
                "Komentar pelanggan (opsional)",
            ],
            Msg::FieldSurveySave => ["Save the answer", "Simpan jawaban"],
            Msg::FieldSurveyAnswered => ["Customer's satisfaction:", "Kepuasan pelanggan:"],
            Msg::FieldAtRiskTitle => [
                "Customers at risk along the route",
                "Pelanggan berisiko di sepanjang rute",
            ],
            Msg::FieldFindAtRisk => [
                "Find customers you serve at risk",
                "Cari pelanggan Anda yang berisiko",
            ],
            Msg::FieldNoAtRisk => [
                "No customer you serve is at risk near today's stops",
                "Tidak ada pelanggan Anda yang berisiko di dekat kunjungan hari ini",
            ],
            Msg::FieldChurnRisk => ["risk of leaving", "risiko berhenti"],
            Msg::FieldFrom => ["from", "dari"],
            Msg::FieldNoProspects => [
                "No prospect fits into today's route",
                "Tidak ada prospek yang muat dalam rute hari ini",
            ],
            Msg::FieldReplan => ["Re-plan the rest of the day", "Rencanakan ulang sisa hari"],
            Msg::FieldReplannedHere => [
                "Re-planned on this device (offline)",
                "Direncanakan ulang di perangkat ini (luring)",
            ],
            Msg::FieldNeedsConnection => [
                "This needs a connection; try again when online",
                "Perlu koneksi; coba lagi saat daring",
            ],
            Msg::FieldSessionEnded => [
                "Your session has ended. Your work is kept on this device and is sent once you sign in again.",
                "Sesi Anda telah berakhir. Pekerjaan Anda disimpan di perangkat ini dan dikirim setelah Anda masuk lagi.",
            ],
            Msg::FieldSignInAgain => ["Sign in again", "Masuk lagi"],
            Msg::FieldUnsentWarning => [
                "Some work has not been sent yet. Send it first, or it is lost from this device when you sign out.",
                "Ada pekerjaan yang belum terkirim. Kirim dulu, atau pekerjaan itu hilang dari perangkat ini saat Anda keluar.",
            ],
            Msg::FieldSendFirst => ["Send first", "Kirim dulu"],
            Msg::FieldSignOutAnyway => ["Sign out and discard it", "Keluar dan buang"],
            // Territory planning (planner page)
            Msg::PlannerTitle => ["Territory planning", "Perencanaan wilayah"],
            Msg::PlannerLink => ["Plan territories", "Rencanakan wilayah"],
            Msg::MapLink => ["Map", "Peta"],
            Msg::DraftLabel => ["Draft", "Draf"],
            Msg::NewDraft => [
                "New draft from the published territories",
                "Draf baru dari wilayah yang terbit",
            ],
            Msg::DrawTerritory => ["Draw a territory", "Gambar wilayah"],
            Msg::EditShapes => ["Edit shapes (drag vertices)", "Ubah bentuk (geser titik)"],
            Msg::SplitTerritory => [
                "Split the ticked: draw the part to cut off",
                "Pisah yang dicentang: gambar bagian yang dipotong",
            ],
            Msg::MergeTicked => ["Merge the ticked", "Gabungkan yang dicentang"],
            Msg::DeleteTerritory => ["Delete", "Hapus"],
            Msg::NoRep => ["No rep", "Tanpa tenaga penjual"],
            Msg::Problems => ["Problems", "Masalah"],
            Msg::NoProblems => ["No problems found", "Tidak ada masalah"],
            Msg::ProblemSelfIntersection => [
                "{0}: the boundary crosses itself",
                "{0}: batasnya memotong dirinya sendiri",
            ],
            Msg::ProblemOverlap => ["{0} and {1} overlap", "{0} dan {1} bertumpang tindih"],
            Msg::ProblemGap => [
                "A gap no territory covers, between {0}",
                "Celah tanpa wilayah, di antara {0}",
            ],
            Msg::ProblemInvalid => [
                "{0}: the outline is not valid",
                "{0}: garis batasnya tidak sah",
            ],
            Msg::ProblemName => [
                "A name is missing or used twice: {0}",
                "Nama kosong atau dipakai dua kali: {0}",
            ],
            Msg::BalanceTitle => ["Balance", "Penyeimbangan"],
            Msg::Measure => ["Measure", "Ukuran"],
            Msg::MeasureAccounts => ["Account count", "Jumlah akun"],
            Msg::MeasureRevenue => ["Revenue", "Pendapatan"],
            Msg::MeasureVisitHours => [
                "Visit hours incl. travel",
                "Jam kunjungan termasuk perjalanan",
            ],
            Msg::Seed => ["Seed", "Benih acak"],
            Msg::RunBalance => ["Propose balanced territories", "Usulkan wilayah seimbang"],
            Msg::Before => ["Before", "Sebelum"],
            Msg::After => ["After", "Sesudah"],
            Msg::Spread => ["Spread (max/min)", "Sebaran (maks/min)"],
            Msg::Preview => ["Preview", "Pratinjau"],
            Msg::Publish => ["Publish", "Terbitkan"],
            Msg::PublishedCount => [
                "Published: {0} accounts reassigned",
                "Terbit: {0} akun dipindahkan",
            ],
            Msg::StaleDraft => [
                "Someone published territory changes since this draft was made. Nothing was changed and your draft is kept; rebase it to publish over the newer territories.",
                "Seseorang sudah menerbitkan perubahan wilayah sejak draf ini dibuat. Tidak ada yang diubah dan draf Anda tetap tersimpan; pindahkan ke wilayah terbaru untuk menerbitkannya.",
            ],
            Msg::Rebase => [
                "Rebase onto the newest territories",
                "Pindahkan ke wilayah terbaru",
            ],
            Msg::AccountsMoving => [
                "Accounts changing territory: {0}",
                "Akun yang pindah wilayah: {0}",
            ],
            Msg::UnassignedAccounts => ["Accounts in no territory: {0}", "Akun tanpa wilayah: {0}"],
            Msg::ImportGeojson => ["Import GeoJSON into the draft", "Impor GeoJSON ke draf"],
            Msg::ImportFeature => ["Feature {0}", "Fitur {0}"],
            Msg::ImportFeatureNamed => ["Feature {0} ({1})", "Fitur {0} ({1})"],
            Msg::ImportNotJson => [
                "The file is not JSON; a GeoJSON FeatureCollection is expected. Nothing was imported.",
                "Berkas ini bukan JSON; diharapkan FeatureCollection GeoJSON. Tidak ada yang diimpor.",
            ],
            Msg::ImportNotFeatures => [
                "The file is not a GeoJSON FeatureCollection or Feature. Nothing was imported.",
                "Berkas ini bukan FeatureCollection atau Feature GeoJSON. Tidak ada yang diimpor.",
            ],
            Msg::ImportEmpty => [
                "The file holds no features. Nothing was imported.",
                "Berkas ini tidak berisi fitur. Tidak ada yang diimpor.",
            ],
            Msg::ImportNotArea => [
                "{0} is refused: its geometry is {1}, not a Polygon or MultiPolygon. Nothing was imported.",
                "{0} ditolak: geometrinya {1}, bukan Polygon atau MultiPolygon. Tidak ada yang diimpor.",
            ],
            Msg::ImportBadOwner => [
                "{0} is refused: owner_id must be the id of a rep. Nothing was imported.",
                "{0} ditolak: owner_id harus berupa id tenaga penjual. Tidak ada yang diimpor.",
            ],
            Msg::ImportRefused => ["Import refused: {0}", "Impor ditolak: {0}"],
            Msg::ImportedCount => [
                "Territories imported into the draft: {0}",
                "Wilayah yang diimpor ke draf: {0}",
            ],
            Msg::ExportGeojson => ["Export the draft as GeoJSON", "Ekspor draf sebagai GeoJSON"],
            Msg::ExportPublished => [
                "Export the published territories",
                "Ekspor wilayah yang terbit",
            ],
            Msg::Accounts => ["Accounts", "Akun"],
            Msg::VisitHours => ["Visit hours", "Jam kunjungan"],
            Msg::ActorName => [
                "Your name (recorded with the publication)",
                "Nama Anda (dicatat saat terbit)",
            ],
            Msg::ActionFailed => ["That did not work: {0}", "Gagal: {0}"],
            Msg::DrawHint => [
                "Click on the map to place corners; click the first corner to finish.",
                "Klik peta untuk menaruh sudut; klik sudut pertama untuk selesai.",
            ],
            Msg::NewTerritoryName => ["New territory {0}", "Wilayah baru {0}"],
            Msg::PlannerMapLabel => ["Map of the draft territories", "Peta wilayah draf"],
            // Accounts, roles and security (sign-in pages)
            Msg::SignIn => ["Sign in", "Masuk"],
            Msg::SignOut => ["Sign out", "Keluar"],
            Msg::Email => ["E-mail", "Surel"],
            Msg::Password => ["Password", "Kata sandi"],
            Msg::LoginInvalid => ["Wrong e-mail or password", "Surel atau kata sandi salah"],
            Msg::LoginLimited => [
                "Too many failed attempts; try again in 15 minutes",
                "Terlalu banyak percobaan gagal; coba lagi dalam 15 menit",
            ],
            Msg::SetupTitle => ["Create the first admin", "Buat admin pertama"],
            Msg::SetupIntro => [
                "No user exists yet. This link works once; the password needs at least 10 characters.",
                "Belum ada pengguna. Tautan ini hanya berlaku sekali; kata sandi minimal 10 karakter.",
            ],
            Msg::SetupInvalid => [
                "Check the e-mail and the password (at least 10 characters)",
                "Periksa surel dan kata sandi (minimal 10 karakter)",
            ],
            Msg::CreateAdmin => ["Create admin and sign in", "Buat admin dan masuk"],
            Msg::AdminTitle => ["Users and API tokens", "Pengguna dan token API"],
            Msg::AdminOnly => [
                "Only admins may see this page",
                "Hanya admin yang boleh membuka halaman ini",
            ],
            Msg::BackToMap => ["Back to the map", "Kembali ke peta"],
            Msg::PageForbidden => [
                "This page is not for your role",
                "Halaman ini bukan untuk peran Anda",
            ],
            Msg::PageForbiddenHint => [
                "Ask an administrator if you need it.",
                "Hubungi administrator jika Anda memerlukannya.",
            ],
            Msg::Users => ["Users", "Pengguna"],
            Msg::AddUser => ["Add user", "Tambah pengguna"],
            Msg::ResetPassword => ["Reset password", "Atur ulang kata sandi"],
            Msg::ApiTokens => ["API tokens", "Token API"],
            Msg::CreateToken => ["Create token", "Buat token"],
            Msg::TokenShownOnce => [
                "New token (copy it now, it is shown once):",
                "Token baru (salin sekarang, hanya ditampilkan sekali):",
            ],
            Msg::Revoke => ["Revoke", "Cabut"],
            Msg::Revoked => ["revoked", "dicabut"],
            Msg::NavLabel => ["Pages", "Halaman"],
            Msg::NavAccounts => ["Accounts", "Akun"],
            Msg::NavMore => ["More ▾", "Lainnya ▾"],
            Msg::NavMyDay => ["Field route", "Rute lapangan"],
            Msg::NavLeads => ["Leads", "Prospek"],
            Msg::NavPipeline => ["Pipeline", "Pipeline"],
            Msg::NavToday => ["My day", "Hari saya"],
            Msg::NavImport => ["Import", "Impor"],
            Msg::NavPlanner => ["Territory planner", "Perencana wilayah"],
            Msg::NavAdmin => ["Admin", "Admin"],
            Msg::NavAnalytics => ["Analytics", "Analitik"],
            Msg::RoleAdmin => ["Administrator", "Administrator"],
            Msg::RoleManager => ["Regional manager", "Manajer wilayah"],
            Msg::RolePlanner => ["Territory planner", "Perencana wilayah"],
            Msg::RoleSalesRep => ["Sales rep", "Tenaga penjual"],
            Msg::RoleTechnician => ["Technician", "Teknisi"],
            Msg::CaseNew => ["New", "Baru"],
            Msg::CaseInProgress => ["In progress", "Sedang ditangani"],
            Msg::CaseResolved => ["Resolved", "Terselesaikan"],
            Msg::CaseClosed => ["Closed", "Ditutup"],
            Msg::ReasonNoSuitableTechnician => [
                "no technician has the skills",
                "tidak ada teknisi dengan keahlian ini",
            ],
            Msg::ReasonExceedsCapacity => [
                "too large for any vehicle",
                "terlalu besar untuk kendaraan mana pun",
            ],
            Msg::ReasonOutsideWorkingHours => [
                "cannot be reached within working hours",
                "tidak terjangkau dalam jam kerja",
            ],
            Msg::ReasonNoRoom => [
                "no room left in the day",
                "tidak ada waktu tersisa hari ini",
            ],
            Msg::ReasonNoHomeBase => [
                "the technician has no home base",
                "teknisi belum punya lokasi awal",
            ],
            Msg::OtherValue => ["other", "lainnya"],
            Msg::NavCatalogue => ["Catalogue", "Katalog"],
            Msg::NavOrders => ["Orders", "Pesanan"],
            Msg::NavCases => ["Cases", "Kasus"],
            Msg::NavCallCentre => ["Call centre", "Pusat panggilan"],
            Msg::NavReport => ["Report a problem", "Laporkan masalah"],
            Msg::NavSurvey => ["Customer survey", "Survei pelanggan"],
            Msg::NavSegments => ["Segments", "Segmen"],
            Msg::NavCampaigns => ["Campaigns", "Kampanye"],
            Msg::QuoteTitle => ["Quote", "Penawaran"],
            Msg::OrderTitle => ["Order", "Pesanan"],
        }
    }
}

/// The label of a user's role.
pub fn role_msg(role: wilayah_shared::access::Role) -> Msg {
    use wilayah_shared::access::Role as R;
    match role {
        R::Admin => Msg::RoleAdmin,
        R::Manager => Msg::RoleManager,
        R::Planner => Msg::RolePlanner,
        R::SalesRep => Msg::RoleSalesRep,
        R::Technician => Msg::RoleTechnician,
    }
}

/// The label of an account status.
pub fn status_msg(status: wilayah_shared::domain::AccountStatus) -> Msg {
    use wilayah_shared::domain::AccountStatus as S;
    match status {
        S::Active => Msg::StatusActive,
        S::AtRisk => Msg::StatusAtRisk,
        S::Churned => Msg::StatusChurned,
        S::New => Msg::StatusNew,
        S::Contacted => Msg::StatusContacted,
        S::Qualified => Msg::StatusQualified,
        S::Disqualified => Msg::StatusDisqualified,
    }
}

/// The label of an account status, by its stored name.
pub fn account_status_msg(status: &str) -> Option<Msg> {
    status.parse().ok().map(status_msg)
}

/// The label of a case status, by its stored name.
pub fn case_status_msg(status: &str) -> Option<Msg> {
    Some(match status {
        "new" => Msg::CaseNew,
        "in_progress" => Msg::CaseInProgress,
        "resolved" => Msg::CaseResolved,
        "closed" => Msg::CaseClosed,
        _ => return None,
    })
}

/// The label of a priority, by its stored name.
pub fn priority_msg(priority: &str) -> Option<Msg> {
    Some(match priority {
        "low" => Msg::PriorityLow,
        "normal" => Msg::PriorityNormal,
        "high" => Msg::PriorityHigh,
        "urgent" => Msg::PriorityUrgent,
        _ => return None,
    })
}

/// Why the route optimiser left a visit out, by the code the server sends.
pub fn unplanned_reason_msg(reason: &str) -> Option<Msg> {
    Some(match reason {
        "no_suitable_technician" => Msg::ReasonNoSuitableTechnician,
        "exceeds_capacity" => Msg::ReasonExceedsCapacity,
        "outside_working_hours" => Msg::ReasonOutsideWorkingHours,
        "no_room" => Msg::ReasonNoRoom,
        "technician_without_home_base" => Msg::ReasonNoHomeBase,
        "not_planned" => Msg::FieldNotPlanned,
        _ => return None,
    })
}

/// A reactive label of a stored code through `lookup` (one of the `*_msg` tables above); a code
/// the table does not know reads "other", never raw.
pub fn code_label(
    code: &str,
    lookup: fn(&str) -> Option<Msg>,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static + use<> {
    tr(lookup(code).unwrap_or(Msg::OtherValue))
}

/// The label of a pipeline stage, by its stored name.
pub fn stage_msg(stage: &str) -> Option<Msg> {
    Some(match stage {
        "lead" => Msg::StageLead,
        "qualified" => Msg::StageQualified,
        "proposal" => Msg::StageProposal,
        "negotiation" => Msg::StageNegotiation,
        "won" => Msg::StageWon,
        "lost" => Msg::StageLost,
        _ => return None,
    })
}

/// The label of a visit status, by its stored name.
pub fn visit_status_msg(status: &str) -> Option<Msg> {
    Some(match status {
        "scheduled" => Msg::VisitScheduled,
        "en_route" => Msg::VisitEnRoute,
        "on_site" => Msg::VisitOnSite,
        "done" => Msg::VisitDone,
        "missed" => Msg::VisitMissed,
        _ => return None,
    })
}

/// The current language, shared through context by the root component (outside it, e.g. in a
/// task the root did not start, the request's language: a text is never worth a crash).
pub fn use_locale() -> RwSignal<Locale> {
    use_context::<RwSignal<Locale>>().unwrap_or_else(|| RwSignal::new(initial_locale()))
}

/// A reactive translation of `msg` in the current language.
pub fn tr<T: Text>(msg: T) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let locale = use_locale();
    move || msg.text(locale.get())
}

/// The language the request asked for: on the server from the request's cookie, in the browser
/// from `document.cookie`; both read the same cookie, so hydration sees the text the server sent.
pub fn initial_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                let header = parts.headers.get("cookie")?.to_str().ok()?;
                Locale::from_cookie_header(header)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|d| d.cookie().ok())
            .and_then(|c| Locale::from_cookie_header(&c))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Locale::default()
    }
}

/// Remembers the choice for the next page load (a year; the server reads it when rendering).
pub fn remember_locale(locale: Locale) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(doc) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        {
            let cookie = format!(
                "{LOCALE_COOKIE}={}; path=/; max-age=31536000; SameSite=Lax",
                locale.code()
            );
            let _ = doc.set_cookie(&cookie);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = locale;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_header_parsing_finds_our_cookie_only() {
        assert_eq!(
            Locale::from_cookie_header("a=1; wilayah_lang=id"),
            Some(Locale::Id)
        );
        assert_eq!(
            Locale::from_cookie_header("wilayah_lang=en"),
            Some(Locale::En)
        );
        assert_eq!(Locale::from_cookie_header("wilayah_lang=fr"), None);
        assert_eq!(Locale::from_cookie_header("other_lang=id"), None);
        assert_eq!(Locale::from_cookie_header(""), None);
    }

    #[test]
    fn every_stored_value_the_ui_shows_has_a_label() {
        for status in wilayah_shared::domain::AccountStatus::ALL {
            assert_ne!(status_msg(*status).text(Locale::Id), "");
        }
        for stage in wilayah_shared::resources::PIPELINE_STAGES {
            assert!(stage_msg(stage).is_some(), "{stage}");
        }
        for priority in ["low", "normal", "high", "urgent"] {
            assert!(priority_msg(priority).is_some(), "{priority}");
        }
        for status in ["new", "in_progress", "resolved", "closed"] {
            assert!(case_status_msg(status).is_some(), "{status}");
        }
        for status in wilayah_shared::domain::AccountStatus::ALL {
            assert!(account_status_msg(status.as_str()).is_some());
        }
        for (status, _) in crate::map::VISIT_STATUS_COLOURS {
            assert!(visit_status_msg(status).is_some(), "{status}");
        }
    }

    #[test]
    fn every_message_has_distinct_languages_where_it_should() {
        // Brand name aside, an untranslated label usually means a copy-paste slip.
        for msg in [
            Msg::Tagline,
            Msg::Customers,
            Msg::Prospects,
            Msg::Layers,
            Msg::SwitchLanguage,
            Msg::ImportGeojson,
            Msg::ImportNotArea,
            Msg::ImportBadOwner,
            Msg::ExportPublished,
        ] {
            assert_ne!(msg.text(Locale::En), msg.text(Locale::Id), "{msg:?}");
        }
    }
}
