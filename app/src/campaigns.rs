//! `/campaigns`: the campaigns with their channel, status, segment, period and how many of the
//! eligible recipients were reached; `/campaigns/new` and `/campaigns/{id}`: a campaign — its
//! draft edited (name, objective, offer, channel, budget, period, segment, control group, the
//! e-mail in English and Bahasa Indonesia with its merge fields), launched after a confirmation,
//! then the sending's progress (read again until nothing is left to send) and the recipients,
//! each with its state or the reason it was left out, in words.
//!
//! Data comes after hydration from the REST API (`/api/v1/campaigns`, `/segments`), which
//! scopes it to the caller. The texts of the segment editor (`crate::segments`) live here too.

use std::time::Duration;

use leptos::prelude::*;
use serde_json::json;
use wilayah_shared::campaigns::{
    CampaignStatus, CampaignView, Channel, Exclusion, NewCampaign, Recipient, Tally, Template,
    Templates,
};
use wilayah_shared::segments::Segment;

use crate::account_page::{go_to, load};
use crate::accounts::options_view;
use crate::i18n::{Locale, Msg, Text, tr, use_locale};
use crate::rest::{self, RestError};
use crate::{Header, format_count_in, format_date_in, format_money_in};

/// Texts of the campaign pages and the segment editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignText {
    // The segment editor.
    Segments,
    NewSegment,
    NoSegments,
    SegmentName,
    Criteria,
    Geography,
    Everywhere,
    AreaRadius,
    AreaPolygon,
    AreaTerritory,
    RadiusMetres,
    ClickCentre,
    CentreAt,
    DrawHint,
    PolygonDrawn,
    DrawAgain,
    ChooseTerritory,
    AnyTag,
    AnyTagHint,
    MinChurn,
    OrderedAfter,
    OrderedBefore,
    MatchNow,
    Counting,
    MembersTitle,
    AndMore,
    SaveSegment,
    SegmentSaved,
    Delete,
    ConfirmDelete,
    Deleted,
    ExportCsv,
    SegmentConflict,
    MembersCount,
    // The campaigns.
    Campaigns,
    NewCampaign,
    NoCampaigns,
    Name,
    Objective,
    ObjectiveHint,
    Offer,
    Channel,
    ChannelEmail,
    ChannelCallList,
    ChannelExport,
    Budget,
    Currency,
    StartsOn,
    EndsOn,
    Period,
    Segment,
    ChooseSegment,
    ControlShare,
    TemplateEn,
    TemplateId,
    Subject,
    Body,
    MergeFields,
    Status,
    StatusDraft,
    StatusRunning,
    StatusDone,
    ReachedOfEligible,
    SaveDraft,
    DraftSaved,
    CampaignConflict,
    Launch,
    LaunchQuestion,
    ConfirmLaunch,
    Cancel,
    Launched,
    Sending,
    SendingDone,
    SendingWaits,
    Recipients,
    NoRecipients,
    Account,
    Contact,
    Address,
    Outcome,
    LeftOut,
    Eligible,
    Reached,
    NoConsent,
    NoAddress,
    ControlGroup,
    RunningCampaign,
    StatePending,
    StateSending,
    StateSent,
    StateFailed,
    StateSkipped,
    BackToCampaigns,
    NotFound,
    ReadOnly,
}

impl Text for CampaignText {
    fn both(self) -> [&'static str; 2] {
        use CampaignText::*;
        match self {
            Segments => ["Segments", "Segmen"],
            NewSegment => ["New segment", "Segmen baru"],
            NoSegments => ["No segments saved yet.", "Belum ada segmen tersimpan."],
            SegmentName => ["Segment name", "Nama segmen"],
            Criteria => ["Who", "Siapa"],
            Geography => ["Where", "Di mana"],
            Everywhere => ["Anywhere", "Di mana saja"],
            AreaRadius => ["Around a point", "Di sekitar titik"],
            AreaPolygon => ["Drawn area", "Area yang digambar"],
            AreaTerritory => ["Inside a territory", "Di dalam wilayah"],
            RadiusMetres => ["Radius (metres)", "Radius (meter)"],
            ClickCentre => [
                "Click the map to place the centre.",
                "Klik peta untuk menaruh titik pusat.",
            ],
            CentreAt => ["Centre", "Titik pusat"],
            DrawHint => [
                "Click the corners on the map; click the first corner again to finish.",
                "Klik sudut-sudutnya di peta; klik sudut pertama lagi untuk selesai.",
            ],
            PolygonDrawn => ["Area drawn", "Area sudah digambar"],
            DrawAgain => ["Draw again", "Gambar ulang"],
            ChooseTerritory => ["Choose a territory", "Pilih wilayah"],
            AnyTag => ["Any of these tags", "Salah satu tag ini"],
            AnyTagHint => ["separated by commas", "pisahkan dengan koma"],
            MinChurn => ["Churn risk at least", "Risiko churn minimal"],
            OrderedAfter => ["Last order on or after", "Pesanan terakhir sejak"],
            OrderedBefore => ["No order since", "Tidak memesan sejak"],
            MatchNow => ["accounts match now", "akun cocok saat ini"],
            Counting => ["Counting…", "Menghitung…"],
            MembersTitle => ["Members now", "Anggota saat ini"],
            AndMore => ["more", "lainnya"],
            SaveSegment => ["Save segment", "Simpan segmen"],
            SegmentSaved => ["Segment saved.", "Segmen tersimpan."],
            Delete => ["Delete", "Hapus"],
            ConfirmDelete => ["Yes, delete it", "Ya, hapus"],
            Deleted => ["Segment deleted.", "Segmen dihapus."],
            ExportCsv => ["Export CSV", "Ekspor CSV"],
            SegmentConflict => [
                "Someone else changed this segment meanwhile; it has been reloaded. Check it and save again.",
                "Orang lain mengubah segmen ini; segmen sudah dimuat ulang. Periksa lalu simpan lagi.",
            ],
            MembersCount => ["Members", "Anggota"],
            Campaigns => ["Campaigns", "Kampanye"],
            NewCampaign => ["New campaign", "Kampanye baru"],
            NoCampaigns => ["No campaigns yet.", "Belum ada kampanye."],
            Name => ["Name", "Nama"],
            Objective => ["Objective", "Tujuan"],
            ObjectiveHint => [
                "Campaigns with the same objective never reach an account twice at once.",
                "Kampanye dengan tujuan yang sama tidak menjangkau satu akun dua kali sekaligus.",
            ],
            Offer => ["Offer", "Penawaran"],
            Channel => ["Channel", "Saluran"],
            ChannelEmail => ["E-mail", "Surel"],
            ChannelCallList => ["Call list", "Daftar telepon"],
            ChannelExport => ["Export for a provider", "Ekspor untuk penyedia"],
            Budget => ["Budget", "Anggaran"],
            Currency => ["Currency", "Mata uang"],
            StartsOn => ["Starts", "Mulai"],
            EndsOn => ["Ends", "Selesai"],
            Period => ["Period", "Periode"],
            Segment => ["Segment", "Segmen"],
            ChooseSegment => ["Choose a segment", "Pilih segmen"],
            ControlShare => ["Control group", "Kelompok kontrol"],
            TemplateEn => ["E-mail in English", "Surel dalam bahasa Inggris"],
            TemplateId => ["E-mail in Bahasa Indonesia", "Surel dalam Bahasa Indonesia"],
            Subject => ["Subject", "Subjek"],
            Body => ["Message", "Isi pesan"],
            MergeFields => [
                "Merge fields: {{customer}} the customer's name, {{contact}} the contact's name, {{offer}} the offer, {{unsubscribe}} the opt-out link (added at the end when missing).",
                "Kolom isian: {{customer}} nama pelanggan, {{contact}} nama kontak, {{offer}} penawaran, {{unsubscribe}} tautan berhenti berlangganan (ditambahkan di akhir bila tidak ada).",
            ],
            Status => ["Status", "Status"],
            StatusDraft => ["Draft", "Draf"],
            StatusRunning => ["Running", "Berjalan"],
            StatusDone => ["Done", "Selesai"],
            ReachedOfEligible => ["Reached / eligible", "Terjangkau / memenuhi syarat"],
            SaveDraft => ["Save draft", "Simpan draf"],
            DraftSaved => ["Draft saved.", "Draf tersimpan."],
            CampaignConflict => [
                "Someone else changed this campaign meanwhile; it has been reloaded. Check it and try again.",
                "Orang lain mengubah kampanye ini; kampanye sudah dimuat ulang. Periksa lalu coba lagi.",
            ],
            Launch => ["Launch…", "Luncurkan…"],
            LaunchQuestion => [
                "Launch now? The segment's members are taken as recipients as they are now, and the campaign can no longer be changed.",
                "Luncurkan sekarang? Anggota segmen saat ini menjadi penerima, dan kampanye tidak bisa diubah lagi.",
            ],
            ConfirmLaunch => ["Yes, launch", "Ya, luncurkan"],
            Cancel => ["Cancel", "Batal"],
            Launched => ["Launched", "Diluncurkan"],
            Sending => ["Sending", "Pengiriman"],
            SendingDone => ["Everything has been sent.", "Semua sudah dikirim."],
            SendingWaits => ["sent of", "terkirim dari"],
            Recipients => ["Recipients", "Penerima"],
            NoRecipients => [
                "No recipients (yet): they are taken at launch.",
                "Belum ada penerima: penerima diambil saat peluncuran.",
            ],
            Account => ["Account", "Akun"],
            Contact => ["Contact", "Kontak"],
            Address => ["Address", "Alamat"],
            Outcome => ["State", "Keadaan"],
            LeftOut => ["Left out", "Dikecualikan"],
            Eligible => ["Eligible", "Memenuhi syarat"],
            Reached => ["Reached", "Terjangkau"],
            NoConsent => [
                "Left out: no consent for this channel",
                "Dikecualikan: tidak ada persetujuan untuk saluran ini",
            ],
            NoAddress => [
                "Left out: no address on this channel",
                "Dikecualikan: tidak ada alamat untuk saluran ini",
            ],
            ControlGroup => ["Left out: control group", "Dikecualikan: kelompok kontrol"],
            RunningCampaign => [
                "Left out: in another running campaign with this objective",
                "Dikecualikan: sudah ikut kampanye berjalan dengan tujuan yang sama",
            ],
            StatePending => ["Waiting to be sent", "Menunggu dikirim"],
            StateSending => ["Sending", "Sedang dikirim"],
            StateSent => ["Sent", "Terkirim"],
            StateFailed => ["Failed", "Gagal"],
            StateSkipped => [
                "Skipped: consent withdrawn",
                "Dilewati: persetujuan dicabut",
            ],
            BackToCampaigns => ["← Campaigns", "← Kampanye"],
            NotFound => ["No such campaign.", "Kampanye tidak ditemukan."],
            ReadOnly => [
                "Launched campaigns no longer change.",
                "Kampanye yang sudah diluncurkan tidak bisa diubah.",
            ],
        }
    }
}

use CampaignText as C;

/// The label of a channel.
pub fn channel_text(channel: Channel) -> CampaignText {
    match channel {
        Channel::Email => C::ChannelEmail,
        Channel::CallList => C::ChannelCallList,
        Channel::Export => C::ChannelExport,
    }
}

/// The label of a campaign's status.
pub fn status_text(status: CampaignStatus) -> CampaignText {
    match status {
        CampaignStatus::Draft => C::StatusDraft,
        CampaignStatus::Running => C::StatusRunning,
        CampaignStatus::Done => C::StatusDone,
    }
}

/// Why a recipient was left out, in words.
pub fn exclusion_text(reason: Exclusion) -> CampaignText {
    match reason {
        Exclusion::NoConsent => C::NoConsent,
        Exclusion::NoAddress => C::NoAddress,
        Exclusion::ControlGroup => C::ControlGroup,
        Exclusion::RunningCampaign => C::RunningCampaign,
    }
}

/// A recipient's state in words: the reason it was left out, its sending state (e-mail), or
/// reached (the call list's task and the export's file are made at launch).
pub fn recipient_text(recipient: &Recipient) -> CampaignText {
    if let Some(reason) = recipient.excluded {
        return exclusion_text(reason);
    }
    match recipient.state.as_deref() {
        Some("pending") => C::StatePending,
        Some("sending") => C::StateSending,
        Some("sent") => C::StateSent,
        Some("failed") => C::StateFailed,
        Some("skipped") => C::StateSkipped,
        _ => C::Reached,
    }
}

/// How many eligible recipients were reached: e-mails sent for the e-mail channel; every
/// eligible one for the call list and the export (reached at launch).
pub fn reached(channel: Channel, tally: &Tally) -> u64 {
    match channel {
        Channel::Email => tally.states.get("sent").copied().unwrap_or(0),
        Channel::CallList | Channel::Export => tally.eligible,
    }
}

/// The sending's progress: `(finished, total)` of the e-mails to send (`None` when nothing is
/// sent by the server).
pub fn sending_progress(channel: Channel, tally: &Tally) -> Option<(u64, u64)> {
    if channel != Channel::Email {
        return None;
    }
    let state = |s: &str| tally.states.get(s).copied().unwrap_or(0);
    let finished = state("sent") + state("failed") + state("skipped");
    Some((finished, finished + state("pending") + state("sending")))
}

/// A period in words: "1 Dec 2026 – 31 Dec 2026", an open end left blank.
pub fn period_text(
    starts: Option<chrono::NaiveDate>,
    ends: Option<chrono::NaiveDate>,
    locale: Locale,
) -> String {
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| format_date_in(locale, d));
    match (day(starts), day(ends)) {
        (None, None) => String::new(),
        (Some(s), None) => format!("{s} –"),
        (None, Some(e)) => format!("– {e}"),
        (Some(s), Some(e)) => format!("{s} – {e}"),
    }
}

/// Says a refused write: a stale version as `conflict`, anything else as the API's error in
/// words (the field named).
pub fn refusal_text(error: &RestError, conflict: CampaignText, locale: Locale) -> String {
    if error.status == 409 {
        conflict.text(locale).to_owned()
    } else {
        error.failure().text(locale)
    }
}

/// `/campaigns`
#[component]
pub fn CampaignsPage() -> impl IntoView {
    let locale = use_locale();
    let campaigns: RwSignal<Option<Result<Vec<CampaignView>, RestError>>> = RwSignal::new(None);
    let segments: RwSignal<Option<Result<Vec<Segment>, RestError>>> = RwSignal::new(None);
    Effect::new(move |_| {
        load("/api/v1/campaigns".to_owned(), campaigns);
        load("/api/v1/segments".to_owned(), segments);
    });
    let segment_name = move |id: Option<i64>| {
        segments.with(|s| match s {
            Some(Ok(s)) => s
                .iter()
                .find(|s| Some(s.id) == id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            _ => String::new(),
        })
    };
    let rows = move || {
        let l = locale.get();
        match campaigns.get() {
            None => view! { <tr><td colspan="6" class="muted">{tr(Msg::Loading)}</td></tr> }
                .into_any(),
            Some(Err(e)) => view! { <tr><td colspan="6" class="error">{e.failure().text(l)}</td></tr> }
                .into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <tr><td colspan="6" class="muted" data-testid="no-campaigns">{tr(C::NoCampaigns)}</td></tr>
            }
            .into_any(),
            Some(Ok(list)) => list
                .into_iter()
                .map(|v| {
                    let c = v.campaign;
                    let figures = format!(
                        "{} / {}",
                        format_count_in(l, reached(c.channel, &v.tally) as i64),
                        format_count_in(l, v.tally.eligible as i64)
                    );
                    view! {
                        <tr data-testid=format!("campaign-{}", c.id)>
                            <td><a href=format!("/campaigns/{}", c.id)>{c.name.clone()}</a></td>
                            <td>{channel_text(c.channel).text(l)}</td>
                            <td><span class=format!("status-chip campaign-{}", c.status.as_str())>{status_text(c.status).text(l)}</span></td>
                            <td>{segment_name(c.segment_id)}</td>
                            <td>{period_text(c.starts_on, c.ends_on, l)}</td>
                            <td class="num" data-testid=format!("campaign-{}-reached", c.id)>{figures}</td>
                        </tr>
                    }
                })
                .collect_view()
                .into_any(),
        }
    };
    view! {
        <leptos_meta::Stylesheet href="/campaigns.css" />
        <div class="ws-page">
            <Header title=Msg::NavCampaigns />
            <main class="ws-main" data-testid="campaigns-page">
                <section class="panel">
                    <div class="section-head">
                        <h2>{tr(C::Campaigns)}</h2>
                        <a class="ws-link-button primary" href="/campaigns/new" data-testid="new-campaign">{tr(C::NewCampaign)}</a>
                    </div>
                    <div class="table-wrap">
                        <table class="sales-table" data-testid="campaigns">
                            <thead><tr>
                                <th>{tr(C::Name)}</th><th>{tr(C::Channel)}</th><th>{tr(C::Status)}</th>
                                <th>{tr(C::Segment)}</th><th>{tr(C::Period)}</th>
                                <th class="num">{tr(C::ReachedOfEligible)}</th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                </section>
            </main>
        </div>
    }
}

/// The campaign form's fields, as typed.
#[derive(Clone, Copy)]
struct Draft {
    name: RwSignal<String>,
    objective: RwSignal<String>,
    offer: RwSignal<String>,
    channel: RwSignal<Channel>,
    budget: RwSignal<String>,
    currency: RwSignal<String>,
    starts_on: RwSignal<String>,
    ends_on: RwSignal<String>,
    segment_id: RwSignal<String>,
    control_pct: RwSignal<String>,
    en_subject: RwSignal<String>,
    en_body: RwSignal<String>,
    id_subject: RwSignal<String>,
    id_body: RwSignal<String>,
}

/// A money amount typed in major units ("1500000", "12.50") in minor units of `currency`.
pub fn minor_units(text: &str, currency: &str) -> Option<i64> {
    let digits = wilayah_shared::money::Currency::parse("currency", currency)
        .map(|c| c.minor_digits())
        .unwrap_or(0);
    let value: f64 = text.trim().replace(',', ".").parse().ok()?;
    Some((value * 10f64.powi(digits as i32)).round() as i64)
}

/// Minor units of `currency` as the number input shows them ("12.5").
fn major_units(minor: i64, currency: &str) -> String {
    let digits = wilayah_shared::money::Currency::parse("currency", currency)
        .map(|c| c.minor_digits())
        .unwrap_or(0);
    if digits == 0 {
        minor.to_string()
    } else {
        (minor as f64 / 10f64.powi(digits as i32)).to_string()
    }
}

fn template(subject: String, body: String) -> Option<Template> {
    (!subject.trim().is_empty() || !body.trim().is_empty()).then_some(Template { subject, body })
}

impl Draft {
    fn new() -> Self {
        Draft {
            name: RwSignal::new(String::new()),
            objective: RwSignal::new(String::new()),
            offer: RwSignal::new(String::new()),
            channel: RwSignal::new(Channel::Email),
            budget: RwSignal::new(String::new()),
            currency: RwSignal::new("IDR".to_owned()),
            starts_on: RwSignal::new(String::new()),
            ends_on: RwSignal::new(String::new()),
            segment_id: RwSignal::new(String::new()),
            control_pct: RwSignal::new("0".to_owned()),
            en_subject: RwSignal::new(String::new()),
            en_body: RwSignal::new(String::new()),
            id_subject: RwSignal::new(String::new()),
            id_body: RwSignal::new(String::new()),
        }
    }

    fn fill(&self, c: &wilayah_shared::campaigns::Campaign) {
        let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let currency = c.currency.clone().unwrap_or_else(|| "IDR".to_owned());
        self.name.set(c.name.clone());
        self.objective.set(c.objective.clone());
        self.offer.set(c.offer.clone());
        self.channel.set(c.channel);
        self.budget.set(
            c.budget_minor
                .map(|b| major_units(b, &currency))
                .unwrap_or_default(),
        );
        self.currency.set(currency);
        self.starts_on.set(day(c.starts_on));
        self.ends_on.set(day(c.ends_on));
        self.segment_id
            .set(c.segment_id.map(|s| s.to_string()).unwrap_or_default());
        self.control_pct
            .set(((c.control_share * 100.0).round() as i64).to_string());
        let (en, id) = (
            c.templates.en.clone().unwrap_or_default(),
            c.templates.id.clone().unwrap_or_default(),
        );
        self.en_subject.set(en.subject);
        self.en_body.set(en.body);
        self.id_subject.set(id.subject);
        self.id_body.set(id.body);
    }

    /// What the form sends. A blank or unreadable budget is none (the date inputs give a day
    /// or nothing); no segment chosen is sent as 0, which the server refuses naming the field.
    fn to_new(self, version: Option<i64>) -> NewCampaign {
        let currency = self.currency.get_untracked().trim().to_uppercase();
        let budget_minor = minor_units(&self.budget.get_untracked(), &currency);
        let day = |s: RwSignal<String>| s.get_untracked().trim().parse().ok();
        NewCampaign {
            name: self.name.get_untracked(),
            objective: self.objective.get_untracked(),
            offer: self.offer.get_untracked(),
            channel: self.channel.get_untracked(),
            budget_minor,
            currency: budget_minor.map(|_| currency),
            starts_on: day(self.starts_on),
            ends_on: day(self.ends_on),
            segment_id: self.segment_id.get_untracked().parse().unwrap_or(0),
            control_share: self
                .control_pct
                .get_untracked()
                .parse::<f64>()
                .unwrap_or(0.0)
                / 100.0,
            templates: Templates {
                en: template(
                    self.en_subject.get_untracked(),
                    self.en_body.get_untracked(),
                ),
                id: template(
                    self.id_subject.get_untracked(),
                    self.id_body.get_untracked(),
                ),
            },
            version,
        }
    }
}

/// Reads the campaign again, and again while e-mails are still waiting or being sent; the
/// recipients are read once more when that ends. Stops when the page is gone.
fn follow(
    id: i64,
    view: RwSignal<Option<Result<CampaignView, RestError>>>,
    recipients: RwSignal<Option<Result<Vec<Recipient>, RestError>>>,
) {
    leptos::task::spawn_local(async move {
        let answer = rest::get::<CampaignView>(&format!("/api/v1/campaigns/{id}")).await;
        let busy = matches!(&answer, Ok(v) if sending_progress(v.campaign.channel, &v.tally)
            .is_some_and(|(done, total)| done < total));
        if view.try_set(Some(answer)).is_some() {
            return;
        }
        let list = rest::get::<Vec<Recipient>>(&format!("/api/v1/campaigns/{id}/recipients")).await;
        if recipients.try_set(Some(list)).is_some() {
            return;
        }
        if busy {
            set_timeout(
                move || follow(id, view, recipients),
                Duration::from_millis(1500),
            );
        }
    });
}

/// `/campaigns/new` and `/campaigns/{id}`
#[component]
pub fn CampaignPage() -> impl IntoView {
    let locale = use_locale();
    let params = leptos_router::hooks::use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()));
    let draft = Draft::new();
    let view: RwSignal<Option<Result<CampaignView, RestError>>> = RwSignal::new(None);
    let recipients: RwSignal<Option<Result<Vec<Recipient>, RestError>>> = RwSignal::new(None);
    let segments: RwSignal<Option<Result<Vec<Segment>, RestError>>> = RwSignal::new(None);
    let message: RwSignal<Option<String>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        load("/api/v1/segments".to_owned(), segments);
        if let Some(id) = id() {
            follow(id, view, recipients);
        }
    });
    // The form shows the campaign as read (again after a conflict).
    Effect::new(move |_| {
        if let Some(Ok(v)) = view.get() {
            draft.fill(&v.campaign);
        }
    });
    let current = move || {
        view.with(|v| {
            v.as_ref()
                .and_then(|v| v.as_ref().ok())
                .map(|v| v.campaign.clone())
        })
    };
    let is_draft =
        move || id().is_none() || current().is_some_and(|c| c.status == CampaignStatus::Draft);

    let save = move |_: leptos::ev::MouseEvent| {
        let version = current().map(|c| c.version);
        let body = draft.to_new(version);
        let l = locale.get_untracked();
        busy.set(true);
        error.set(None);
        message.set(None);
        leptos::task::spawn_local(async move {
            let answer = match id() {
                None => {
                    rest::send::<wilayah_shared::campaigns::Campaign>(
                        "POST",
                        "/api/v1/campaigns",
                        &body,
                    )
                    .await
                }
                Some(id) => rest::send("PATCH", &format!("/api/v1/campaigns/{id}"), &body).await,
            };
            busy.set(false);
            match answer {
                Ok(c) if id().is_none() => go_to(&format!("/campaigns/{}", c.id)),
                Ok(c) => {
                    message.set(Some(C::DraftSaved.text(l).to_owned()));
                    follow(c.id, view, recipients);
                }
                Err(e) => {
                    error.set(Some(refusal_text(&e, C::CampaignConflict, l)));
                    if e.status == 409
                        && let Some(id) = id()
                    {
                        follow(id, view, recipients);
                    }
                }
            }
        });
    };
    let launch = move |_: leptos::ev::MouseEvent| {
        let Some(c) = current() else { return };
        let l = locale.get_untracked();
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let answer = rest::send::<wilayah_shared::campaigns::Campaign>(
                "POST",
                &format!("/api/v1/campaigns/{}/launch", c.id),
                &json!({ "version": c.version }),
            )
            .await;
            busy.set(false);
            confirming.set(false);
            match answer {
                Ok(_) => message.set(Some(C::Launched.text(l).to_owned())),
                Err(e) => error.set(Some(refusal_text(&e, C::CampaignConflict, l))),
            }
            follow(c.id, view, recipients);
        });
    };

    let segment_options = move || {
        let mut all = vec![(
            String::new(),
            C::ChooseSegment.text(locale.get()).to_owned(),
        )];
        if let Some(Ok(list)) = segments.get() {
            all.extend(list.into_iter().map(|s| (s.id.to_string(), s.name)));
        }
        options_view(&draft.segment_id.get(), all)
    };
    let channel_options = move || {
        let l = locale.get();
        let all = Channel::ALL
            .into_iter()
            .map(|c| (c.as_str().to_owned(), channel_text(c).text(l).to_owned()))
            .collect();
        options_view(draft.channel.get().as_str(), all)
    };
    let control_options = move || {
        let all = (0..=10)
            .map(|i| ((i * 5).to_string(), format!("{} %", i * 5)))
            .collect();
        options_view(&draft.control_pct.get(), all)
    };
    let text_input = move |label: CampaignText,
                           testid: &'static str,
                           value: RwSignal<String>,
                           kind: &'static str| {
        view! {
            <label>
                <span>{tr(label)}</span>
                <input type=kind data-testid=testid prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
        }
    };
    let template_fields = move |title: CampaignText,
                                prefix: &'static str,
                                subject: RwSignal<String>,
                                body: RwSignal<String>,
                                lang: &'static str| {
        view! {
            <fieldset class="campaign-template" lang=lang>
                <legend>{tr(title)}</legend>
                <label>
                    <span>{tr(C::Subject)}</span>
                    <input type="text" data-testid=format!("{prefix}-subject") prop:value=move || subject.get()
                        on:input=move |ev| subject.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{tr(C::Body)}</span>
                    <textarea rows="5" data-testid=format!("{prefix}-body") prop:value=move || body.get()
                        on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                </label>
            </fieldset>
        }
    };

    let form = move || {
        let editable = is_draft();
        view! {
            <section class="panel campaign-form" data-testid="campaign-form">
                <fieldset disabled={!editable} class="campaign-fields">
                    {text_input(C::Name, "campaign-name", draft.name, "text")}
                    <label>
                        <span>{tr(C::Objective)}</span>
                        <input type="text" data-testid="campaign-objective" prop:value=move || draft.objective.get()
                            on:input=move |ev| draft.objective.set(event_target_value(&ev)) />
                        <small class="muted">{tr(C::ObjectiveHint)}</small>
                    </label>
                    <label class="wide">
                        <span>{tr(C::Offer)}</span>
                        <textarea rows="2" data-testid="campaign-offer" prop:value=move || draft.offer.get()
                            on:input=move |ev| draft.offer.set(event_target_value(&ev))></textarea>
                    </label>
                    <label>
                        <span>{tr(C::Channel)}</span>
                        <select data-testid="campaign-channel" on:change=move |ev| {
                            if let Some(c) = Channel::parse(&event_target_value(&ev)) { draft.channel.set(c) }
                        }>{channel_options}</select>
                    </label>
                    <label>
                        <span>{tr(C::Segment)}</span>
                        <select data-testid="campaign-segment" on:change=move |ev| draft.segment_id.set(event_target_value(&ev))>
                            {segment_options}
                        </select>
                    </label>
                    <div class="campaign-pair">
                        {text_input(C::Budget, "campaign-budget", draft.budget, "number")}
                        {text_input(C::Currency, "campaign-currency", draft.currency, "text")}
                    </div>
                    <div class="campaign-pair">
                        {text_input(C::StartsOn, "campaign-starts", draft.starts_on, "date")}
                        {text_input(C::EndsOn, "campaign-ends", draft.ends_on, "date")}
                    </div>
                    <label>
                        <span>{tr(C::ControlShare)}</span>
                        <select data-testid="campaign-control" on:change=move |ev| draft.control_pct.set(event_target_value(&ev))>
                            {control_options}
                        </select>
                    </label>
                    <div class="campaign-templates wide" class:hidden=move || draft.channel.get() != Channel::Email>
                        {template_fields(C::TemplateEn, "template-en", draft.en_subject, draft.en_body, "en")}
                        {template_fields(C::TemplateId, "template-id", draft.id_subject, draft.id_body, "id")}
                        <p class="muted merge-fields" data-testid="merge-fields">{tr(C::MergeFields)}</p>
                    </div>
                </fieldset>
                {editable.then(|| view! {
                    <div class="ws-actions">
                        <button class="ws-button primary" data-testid="campaign-save" disabled=move || busy.get() on:click=save>
                            {tr(C::SaveDraft)}
                        </button>
                        {move || (id().is_some() && !confirming.get()).then(|| view! {
                            <button class="ws-button" data-testid="campaign-launch" disabled=move || busy.get()
                                on:click=move |_| confirming.set(true)>{tr(C::Launch)}</button>
                        })}
                    </div>
                })}
                {(!editable).then(|| view! { <p class="muted">{tr(C::ReadOnly)}</p> })}
                {move || confirming.get().then(|| view! {
                    <div class="launch-confirm" role="alertdialog" data-testid="launch-confirm">
                        <p>{tr(C::LaunchQuestion)}</p>
                        <button class="ws-button primary" data-testid="campaign-launch-confirm" disabled=move || busy.get() on:click=launch>
                            {tr(C::ConfirmLaunch)}
                        </button>
                        <button class="ws-button subtle" on:click=move |_| confirming.set(false)>{tr(C::Cancel)}</button>
                    </div>
                })}
            </section>
        }
    };

    let summary = move || {
        let l = locale.get();
        let v = view.get()?.ok()?;
        let c = &v.campaign;
        let budget = c
            .budget_minor
            .zip(c.currency.clone())
            .map(|(b, cur): (i64, String)| format_money_in(l, b, &cur));
        let progress = sending_progress(c.channel, &v.tally).filter(|(_, total)| *total > 0).map(|(done, total)| {
            let text = if done == total {
                C::SendingDone.text(l).to_owned()
            } else {
                format!("{} {} {}", format_count_in(l, done as i64), C::SendingWaits.text(l), format_count_in(l, total as i64))
            };
            view! {
                <div class="campaign-progress" data-testid="campaign-progress" data-done=done.to_string() data-total=total.to_string()>
                    <span>{tr(C::Sending)}</span>
                    <progress max=total.to_string() value=done.to_string()></progress>
                    <span data-testid="campaign-progress-text">{text}</span>
                </div>
            }
        });
        let left_out: Vec<String> = v
            .tally
            .excluded
            .iter()
            .filter_map(|(code, n)| {
                let reason = Exclusion::parse(code)?;
                Some(format!(
                    "{}: {}",
                    exclusion_text(reason).text(l),
                    format_count_in(l, *n as i64)
                ))
            })
            .collect();
        Some(view! {
            <section class="panel campaign-summary" data-testid="campaign-summary">
                <div class="section-head">
                    <h2>{c.name.clone()}</h2>
                    <span class=format!("status-chip campaign-{}", c.status.as_str()) data-testid="campaign-status">{status_text(c.status).text(l)}</span>
                </div>
                <dl class="campaign-figures">
                    <div><dt>{tr(C::Channel)}</dt><dd>{channel_text(c.channel).text(l)}</dd></div>
                    <div><dt>{tr(C::Period)}</dt><dd>{period_text(c.starts_on, c.ends_on, l)}</dd></div>
                    <div><dt>{tr(C::Budget)}</dt><dd>{budget}</dd></div>
                    <div><dt>{tr(C::Launched)}</dt><dd>{c.launched_at.map(|t| format_date_in(l, t.date_naive()))}</dd></div>
                    <div><dt>{tr(C::Recipients)}</dt><dd data-testid="tally-recipients">{format_count_in(l, v.tally.recipients as i64)}</dd></div>
                    <div><dt>{tr(C::ReachedOfEligible)}</dt><dd data-testid="tally-reached">{format!("{} / {}", format_count_in(l, reached(c.channel, &v.tally) as i64), format_count_in(l, v.tally.eligible as i64))}</dd></div>
                </dl>
                {progress}
                {(!left_out.is_empty()).then(|| view! {
                    <ul class="left-out" data-testid="tally-left-out">
                        {left_out.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                    </ul>
                })}
                {(c.status != CampaignStatus::Draft).then(|| view! {
                    <a class="ws-link-button" href=format!("/api/v1/campaigns/{}/export", c.id) download data-testid="campaign-export">{tr(C::ExportCsv)}</a>
                })}
            </section>
        })
    };

    let recipient_rows = move || {
        let l = locale.get();
        match recipients.get() {
            None => None,
            Some(Err(e)) => Some(view! { <p class="error">{e.failure().text(l)}</p> }.into_any()),
            Some(Ok(list)) if list.is_empty() => Some(view! { <p class="muted" data-testid="no-recipients">{tr(C::NoRecipients)}</p> }.into_any()),
            Some(Ok(list)) => Some(view! {
                <div class="table-wrap">
                    <table class="sales-table" data-testid="recipients">
                        <thead><tr>
                            <th>{tr(C::Account)}</th><th>{tr(C::Contact)}</th><th>{tr(C::Address)}</th><th>{tr(C::Outcome)}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|r| {
                                let left_out = r.excluded.is_some();
                                view! {
                                    <tr class:left-out=left_out data-testid=format!("recipient-{}", r.id)>
                                        <td><a href=format!("/accounts/{}", r.account_id)>{r.account_name.clone()}</a></td>
                                        <td>{r.contact_name.clone()}</td>
                                        <td>{r.address.clone()}</td>
                                        <td data-testid="recipient-state">{recipient_text(&r).text(l)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()),
        }
    };

    let body = move || match (
        id(),
        view.with(|v| v.as_ref().map(|v| v.as_ref().err().map(|e| e.status))),
    ) {
        (Some(_), None) => view! { <p class="muted">{tr(Msg::Loading)}</p> }.into_any(),
        (Some(_), Some(Some(_))) => {
            view! { <p class="error" data-testid="campaign-missing">{tr(C::NotFound)}</p> }
                .into_any()
        }
        // A draft's form comes first; a launched campaign's recipients come before its form.
        _ if is_draft() => {
            let title = move || match current() {
                Some(c) => format!("{} · {}", c.name, C::StatusDraft.text(locale.get())),
                None => C::NewCampaign.text(locale.get()).to_owned(),
            };
            view! {
                <h2 class="campaign-title" data-testid="campaign-title">{title}</h2>
                {form}
            }
            .into_any()
        }
        _ => view! {
            {summary}
            <section class="panel" data-testid="campaign-recipients">
                <h2>{tr(C::Recipients)}</h2>
                {recipient_rows}
            </section>
            {form}
        }
        .into_any(),
    };
    view! {
        <leptos_meta::Stylesheet href="/campaigns.css" />
        <div class="ws-page">
            <Header title=Msg::NavCampaigns />
            <main class="ws-main campaign-page" data-testid="campaign-page">
                <a class="ws-back" href="/campaigns" data-testid="back-to-campaigns">{tr(C::BackToCampaigns)}</a>
                <div class="campaign-messages" aria-live="polite">
                    {move || message.get().map(|m| view! { <p class="notice" data-testid="campaign-notice">{m}</p> })}
                    {move || error.get().map(|m| view! { <p class="error" data-testid="campaign-error">{m}</p> })}
                </div>
                {body}
            </main>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exclusion_and_state_reads_in_words_in_both_languages() {
        for reason in Exclusion::ALL {
            for locale in [Locale::En, Locale::Id] {
                let text = exclusion_text(reason).text(locale);
                assert!(!text.contains('_') && !text.is_empty(), "{text}");
            }
        }
        assert_ne!(C::NoConsent.text(Locale::En), C::NoConsent.text(Locale::Id));
    }

    #[test]
    fn budgets_are_typed_in_major_units() {
        assert_eq!(minor_units("1500000", "IDR"), Some(1_500_000));
        assert_eq!(minor_units("12.5", "USD"), Some(1_250));
        assert_eq!(minor_units("12,5", "USD"), Some(1_250));
        assert_eq!(minor_units("", "IDR"), None);
        assert_eq!(major_units(1_250, "USD"), "12.5");
        assert_eq!(major_units(1_500_000, "IDR"), "1500000");
    }

    #[test]
    fn the_progress_counts_what_was_sent_of_what_is_to_send() {
        let tally = Tally {
            recipients: 5,
            eligible: 4,
            excluded: [("no_consent".to_owned(), 1)].into(),
            states: [
                ("sent".to_owned(), 2),
                ("failed".to_owned(), 1),
                ("pending".to_owned(), 1),
            ]
            .into(),
        };
        assert_eq!(sending_progress(Channel::Email, &tally), Some((3, 4)));
        assert_eq!(sending_progress(Channel::CallList, &tally), None);
        assert_eq!(reached(Channel::Email, &tally), 2);
        assert_eq!(reached(Channel::CallList, &tally), 4);
    }
}
