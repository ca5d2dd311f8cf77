//! How cases come in besides the map panel. `/report`: the public "report a problem" form (no
//! sign-in) — name, e-mail or phone, town, category, what happened; it answers the confirmation
//! number the server gives (`POST /api/v1/public/reports`, which limits how often one address
//! may report and silently refuses a bot that fills in the hidden `website` field).
//! `/call-centre`: staff find the caller by phone number (`GET /api/v1/call-centre/callers`),
//! see their account, contacts, open cases and history before logging the call (an activity on
//! the account's timeline) and, if needed, opening a case (channel phone).

use leptos::prelude::*;
use serde_json::{Value, json};
use wilayah_shared::service::CASE_CATEGORIES;

use crate::Header;
use crate::cases::{CaseText, category_text, history_title, sla_words};
use crate::i18n::{Msg, Text, case_status_msg, code_label, tr, use_locale};
use crate::pipeline::{Failure, call, failure_text, format_date, priority_msg};

/// Texts of the intake pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeText {
    ReportIntro,
    YourName,
    Email,
    Phone,
    EmailOrPhone,
    Town,
    WhatHappened,
    Details,
    Send,
    Sending,
    Thanks,
    YourNumber,
    KeepIt,
    TooMany,
    Website,
    CallerPhone,
    Find,
    NoMatch,
    NoMatchHint,
    Contacts,
    OpenCases,
    NoOpenCases,
    History,
    LogCall,
    CallSubject,
    CallNotes,
    Outcome,
    SaveCall,
    CallLogged,
    OpenCase,
    CaseSubject,
    CaseDetails,
    SaveCase,
    CaseOpened,
    ThisAccount,
    DefaultCallSubject,
    SurveyTitle,
    SurveyAboutCase,
    SurveyAboutVisit,
    SurveyFor,
    SurveyScore1,
    SurveyScore2,
    SurveyScore3,
    SurveyScore4,
    SurveyScore5,
    SurveyComment,
    SurveySend,
    SurveyThanks,
    SurveyAnsweredAlready,
    SurveyUnknown,
    SurveyPickScore,
}

impl Text for IntakeText {
    fn both(self) -> [&'static str; 2] {
        use IntakeText::*;
        match self {
            ReportIntro => [
                "Tell us what went wrong and how to reach you. We answer within our service hours.",
                "Ceritakan masalahnya dan cara menghubungi Anda. Kami menjawab pada jam layanan.",
            ],
            YourName => ["Your name or business", "Nama Anda atau usaha"],
            Email => ["E-mail", "Surel"],
            Phone => ["Phone", "Telepon"],
            EmailOrPhone => [
                "Give an e-mail address or a phone number (or both).",
                "Isi alamat surel atau nomor telepon (atau keduanya).",
            ],
            Town => ["Town or address", "Kota atau alamat"],
            WhatHappened => ["What went wrong (one line)", "Masalahnya (satu baris)"],
            Details => ["Details", "Rincian"],
            Send => ["Send report", "Kirim laporan"],
            Sending => ["Sending…", "Mengirim…"],
            Thanks => [
                "Thank you, we have received your report.",
                "Terima kasih, laporan Anda sudah kami terima.",
            ],
            YourNumber => ["Your confirmation number:", "Nomor konfirmasi Anda:"],
            KeepIt => [
                "Keep it: quote it when you contact us about this problem.",
                "Simpan nomor ini dan sebutkan saat menghubungi kami tentang masalah ini.",
            ],
            TooMany => [
                "Too many reports were sent from here; please try again later.",
                "Terlalu banyak laporan dari sini; silakan coba lagi nanti.",
            ],
            Website => ["Leave this empty", "Biarkan kosong"],
            CallerPhone => ["Caller's phone number", "Nomor telepon penelepon"],
            Find => ["Find caller", "Cari penelepon"],
            NoMatch => [
                "No account you can see has a contact with this number.",
                "Tidak ada akun yang Anda lihat dengan kontak bernomor ini.",
            ],
            NoMatchHint => ["Create the account first:", "Buat akunnya dulu:"],
            Contacts => ["Contacts", "Kontak"],
            OpenCases => ["Open cases", "Kasus terbuka"],
            NoOpenCases => ["No open cases.", "Tidak ada kasus terbuka."],
            History => ["History", "Riwayat"],
            LogCall => ["Log this call", "Catat panggilan ini"],
            CallSubject => ["What the call was about", "Topik panggilan"],
            CallNotes => ["Notes", "Catatan"],
            Outcome => ["Outcome", "Hasil"],
            SaveCall => ["Log call", "Catat panggilan"],
            CallLogged => [
                "Call logged in the account's history.",
                "Panggilan dicatat di riwayat akun.",
            ],
            OpenCase => ["Open a case", "Buka kasus"],
            CaseSubject => ["Problem (one line)", "Masalah (satu baris)"],
            CaseDetails => ["What the customer reported", "Laporan pelanggan"],
            SaveCase => ["Open case", "Buka kasus"],
            CaseOpened => [
                "Case opened; it is in the queue.",
                "Kasus dibuka dan masuk antrean.",
            ],
            ThisAccount => ["Calling about this account", "Menelepon tentang akun ini"],
            DefaultCallSubject => ["Phone call", "Panggilan telepon"],
            SurveyTitle => ["How did we do?", "Bagaimana layanan kami?"],
            SurveyAboutCase => ["About your report:", "Tentang laporan Anda:"],
            SurveyAboutVisit => [
                "About our technician's visit on",
                "Tentang kunjungan teknisi kami pada",
            ],
            SurveyFor => ["For", "Untuk"],
            SurveyScore1 => ["1 · Very unhappy", "1 · Sangat tidak puas"],
            SurveyScore2 => ["2 · Unhappy", "2 · Tidak puas"],
            SurveyScore3 => ["3 · So-so", "3 · Biasa saja"],
            SurveyScore4 => ["4 · Happy", "4 · Puas"],
            SurveyScore5 => ["5 · Very happy", "5 · Sangat puas"],
            SurveyComment => [
                "Anything you want to tell us (optional)",
                "Ada yang ingin Anda sampaikan (opsional)",
            ],
            SurveySend => ["Send", "Kirim"],
            SurveyThanks => [
                "Thank you: your answer helps us serve you better.",
                "Terima kasih: jawaban Anda membantu kami melayani lebih baik.",
            ],
            SurveyAnsweredAlready => [
                "This survey has been answered already. Thank you.",
                "Survei ini sudah dijawab. Terima kasih.",
            ],
            SurveyUnknown => [
                "This link is not known. Please check that it was copied whole.",
                "Tautan ini tidak dikenal. Periksa apakah tautan tersalin utuh.",
            ],
            SurveyPickScore => ["Choose a score from 1 to 5.", "Pilih nilai 1 sampai 5."],
        }
    }
}

/// The category options of a form, in the page's language.
fn category_options(selected: RwSignal<String>) -> impl IntoView {
    CASE_CATEGORIES
        .iter()
        .map(|c| {
            let code = (*c).to_owned();
            let is = {
                let code = code.clone();
                move || selected.with(|s| *s == code)
            };
            view! { <option value=code selected=is>{tr(category_text(c))}</option> }
        })
        .collect_view()
}

/// A text input bound to `value`.
fn field(
    label: IntakeText,
    testid: &'static str,
    kind: &'static str,
    max: &'static str,
    required: bool,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label>
            <span>{tr(label)}</span>
            <input type=kind maxlength=max required=required data-testid=testid
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        </label>
    }
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let locale = use_locale();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let town = RwSignal::new(String::new());
    let category = RwSignal::new("other".to_owned());
    let subject = RwSignal::new(String::new());
    let details = RwSignal::new(String::new());
    let website = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let answer = RwSignal::new(None::<Value>);
    let failure = RwSignal::new(None::<Failure>);
    // Until the page is hydrated the form would submit natively; tests wait for this mark.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let optional = |s: RwSignal<String>| {
            let v = s.get_untracked();
            if v.trim().is_empty() {
                Value::Null
            } else {
                Value::from(v)
            }
        };
        let body = json!({
            "name": name.get_untracked(), "email": optional(email), "phone": optional(phone),
            "address": optional(town), "category": category.get_untracked(),
            "subject": subject.get_untracked(), "description": optional(details),
            "website": optional(website),
        });
        sending.set(true);
        leptos::task::spawn_local(async move {
            match call("POST", "/api/v1/public/reports".into(), Some(body)).await {
                Ok(a) => {
                    failure.set(None);
                    answer.set(Some(a));
                }
                Err(f) => failure.set(Some(f)),
            }
            sending.set(false);
        });
    };
    let problem = move || {
        failure.get().map(|f| {
            let text = if f.status == 429 {
                IntakeText::TooMany.text(locale.get()).to_owned()
            } else {
                failure_text(&f, locale.get())
            };
            view! { <p class="error" data-testid="report-error">{text}</p> }
        })
    };
    let received = move || {
        answer.get().map(|a| {
            let number = a["confirmation"].as_str().map(str::to_owned);
            view! {
                <section class="panel report-received" data-testid="report-received">
                    <h2>{tr(IntakeText::Thanks)}</h2>
                    {number.map(|n| view! {
                        <p>{tr(IntakeText::YourNumber)} " " <strong class="confirmation" data-testid="report-confirmation">{n}</strong></p>
                        <p class="muted">{tr(IntakeText::KeepIt)}</p>
                    })}
                </section>
            }
        })
    };
    view! {
        <div class="sales-page">
            <Header title=Msg::NavReport />
            <main class="sales-main report-main">
                {received}
                <Show when=move || answer.get().is_none()>
                    <p>{tr(IntakeText::ReportIntro)}</p>
                    <form class="report-form panel" data-testid="report-form" data-hydrated=move || hydrated.get().to_string() on:submit=send>
                        {field(IntakeText::YourName, "report-name", "text", "200", true, name)}
                        <div class="form-pair">
                            {field(IntakeText::Email, "report-email", "email", "200", false, email)}
                            {field(IntakeText::Phone, "report-phone", "tel", "50", false, phone)}
                        </div>
                        <p class="muted hint">{tr(IntakeText::EmailOrPhone)}</p>
                        {field(IntakeText::Town, "report-town", "text", "500", false, town)}
                        <label>
                            <span>{tr(CaseText::Category)}</span>
                            <select data-testid="report-category" on:change=move |ev| category.set(event_target_value(&ev))>
                                {category_options(category)}
                            </select>
                        </label>
                        {field(IntakeText::WhatHappened, "report-subject", "text", "200", true, subject)}
                        <label>
                            <span>{tr(IntakeText::Details)}</span>
                            <textarea rows="5" maxlength="5000" data-testid="report-details"
                                prop:value=move || details.get() on:input=move |ev| details.set(event_target_value(&ev))></textarea>
                        </label>
                        // The honeypot: off screen and out of the tab order; people leave it empty.
                        <div class="hp" aria-hidden="true">
                            <label>
                                <span>{tr(IntakeText::Website)}</span>
                                <input type="text" name="website" tabindex="-1" autocomplete="off" data-testid="report-website"
                                    prop:value=move || website.get() on:input=move |ev| website.set(event_target_value(&ev)) />
                            </label>
                        </div>
                        <div role="status" aria-live="polite" class="sales-messages">{problem}</div>
                        <button class="action primary" type="submit" data-testid="report-send" disabled=move || sending.get()>
                            {move || if sending.get() { tr(IntakeText::Sending)() } else { tr(IntakeText::Send)() }}
                        </button>
                    </form>
                </Show>
            </main>
        </div>
    }
}

/// The current instant as RFC 3339 (the browser's clock), for a call logged now.
fn now_rfc3339() -> String {
    #[cfg(feature = "hydrate")]
    {
        String::from(js_sys::Date::new_0().to_iso_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[component]
pub fn CallCentrePage() -> impl IntoView {
    let locale = use_locale();
    let phone = RwSignal::new(String::new());
    let matches = RwSignal::new(None::<Vec<Value>>);
    let chosen = RwSignal::new(None::<i64>);
    let failure = RwSignal::new(None::<Failure>);
    let notice = RwSignal::new(None::<IntakeText>);
    let call_subject = RwSignal::new(String::new());
    let call_notes = RwSignal::new(String::new());
    let call_outcome = RwSignal::new(String::new());
    let case_subject = RwSignal::new(String::new());
    let case_details = RwSignal::new(String::new());
    let case_priority = RwSignal::new("normal".to_owned());
    let case_category = RwSignal::new("other".to_owned());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let find = move || {
        let number = phone.get_untracked();
        leptos::task::spawn_local(async move {
            let url = format!(
                "/api/v1/call-centre/callers?phone={}",
                crate::rest::encode(number.trim())
            );
            match call("GET", url, None).await {
                Ok(answer) => {
                    let found = answer["matches"].as_array().cloned().unwrap_or_default();
                    chosen.set(found.first().and_then(|m| m["account"]["id"].as_i64()));
                    matches.set(Some(found));
                    failure.set(None);
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let after = move |result: Result<Value, Failure>, done: IntakeText| match result {
        Ok(_) => {
            failure.set(None);
            notice.set(Some(done));
            find();
        }
        Err(f) => {
            notice.set(None);
            failure.set(Some(f));
        }
    };
    let log_call = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(account) = chosen.get_untracked() else {
            return;
        };
        let subject = match call_subject.get_untracked() {
            s if s.trim().is_empty() => IntakeText::DefaultCallSubject
                .text(locale.get_untracked())
                .to_owned(),
            s => s,
        };
        let mut body = json!({"account_id": account, "kind": "call", "channel": "phone",
            "subject": subject, "occurred_at": now_rfc3339()});
        for (key, value) in [
            ("body", call_notes.get_untracked()),
            ("outcome", call_outcome.get_untracked()),
        ] {
            if !value.trim().is_empty() {
                body[key] = value.into();
            }
        }
        leptos::task::spawn_local(async move {
            let result = call("POST", "/api/v1/activities".into(), Some(body)).await;
            if result.is_ok() {
                call_subject.set(String::new());
                call_notes.set(String::new());
                call_outcome.set(String::new());
            }
            after(result, IntakeText::CallLogged);
        });
    };
    let open_case = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(account) = chosen.get_untracked() else {
            return;
        };
        let mut body = json!({"account_id": account, "subject": case_subject.get_untracked(),
            "priority": case_priority.get_untracked(), "category": case_category.get_untracked(), "channel": "phone"});
        if !case_details.get_untracked().trim().is_empty() {
            body["description"] = case_details.get_untracked().into();
        }
        leptos::task::spawn_local(async move {
            let result = call("POST", "/api/v1/cases".into(), Some(body)).await;
            if result.is_ok() {
                case_subject.set(String::new());
                case_details.set(String::new());
            }
            after(result, IntakeText::CaseOpened);
        });
    };

    let account_card = move |m: Value| {
        let id = m["account"]["id"].as_i64().unwrap_or_default();
        let name = m["account"]["name"].as_str().unwrap_or_default().to_owned();
        let address = m["account"]["address"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let contacts = m["panel"]["contacts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                let line = [
                    c["name"].as_str(),
                    c["title"].as_str(),
                    c["phone"].as_str(),
                    c["email"].as_str(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
                view! { <li>{line}</li> }
            })
            .collect_view();
        let open_cases = m["open_cases"].as_array().cloned().unwrap_or_default();
        let cases = if open_cases.is_empty() {
            view! { <p class="muted">{tr(IntakeText::NoOpenCases)}</p> }.into_any()
        } else {
            view! {
                <ul class="compact-list" data-testid=format!("caller-{id}-cases")>
                    {open_cases.into_iter().map(|c| {
                        let status = c["status"].as_str().unwrap_or_default().to_owned();
                        let prio = c["priority"].as_str().unwrap_or("normal").to_owned();
                        let sla = c["sla"].clone();
                        view! {
                            <li>
                                <strong>{c["subject"].as_str().unwrap_or_default().to_owned()}</strong>
                                " " <span class="status-chip">{code_label(&status, case_status_msg)}</span>
                                " " <span class=format!("priority-chip priority-{prio}")>{tr(priority_msg(&prio))}</span>
                                " " <span class="muted">{move || sla_words(&sla, locale.get())}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        };
        let history = m["panel"]["history"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .take(8)
            .map(|h| {
                let at = h["at"].as_str().unwrap_or_default().to_owned();
                let title = h["title"].as_str().unwrap_or_default().to_owned();
                let channel = h["channel"].as_str().map(str::to_owned);
                view! {
                    <li>
                        <span class="muted">{move || format_date(&at, locale.get())}</span> " "
                        {move || history_title(&title, channel.as_deref(), locale.get())}
                    </li>
                }
            })
            .collect_view();
        view! {
            <article class="panel caller-card" class:chosen=move || chosen.get() == Some(id) data-testid=format!("caller-{id}")>
                <header class="caller-head">
                    <h2><a href=format!("/accounts/{id}")>{name}</a></h2>
                    <p class="muted">{address}</p>
                    <label class="choose">
                        <input type="radio" name="caller-account" prop:checked=move || chosen.get() == Some(id)
                            on:change=move |_| chosen.set(Some(id)) data-testid=format!("caller-{id}-choose") />
                        <span>{tr(IntakeText::ThisAccount)}</span>
                    </label>
                </header>
                <div class="caller-body">
                    <section><h3>{tr(IntakeText::Contacts)}</h3><ul class="compact-list">{contacts}</ul></section>
                    <section><h3>{tr(IntakeText::OpenCases)}</h3>{cases}</section>
                    <section><h3>{tr(IntakeText::History)}</h3><ul class="compact-list">{history}</ul></section>
                </div>
            </article>
        }
    };
    let results = move || {
        matches.get().map(|found| {
            if found.is_empty() {
                view! {
                    <p class="muted" data-testid="caller-none">{tr(IntakeText::NoMatch)} " "
                        {tr(IntakeText::NoMatchHint)} " " <a href="/accounts/new">{tr(Msg::NavAccounts)}</a></p>
                }.into_any()
            } else {
                found.into_iter().map(account_card).collect_view().into_any()
            }
        })
    };
    let priorities = move || {
        ["low", "normal", "high", "urgent"].into_iter().map(|p| {
        view! { <option value=p selected=move || case_priority.get() == p>{tr(priority_msg(p))}</option> }
    }).collect_view()
    };
    let forms = move || {
        chosen.get().is_some().then(|| view! {
            <div class="call-forms">
                <form class="panel call-form" data-testid="log-call-form" on:submit=log_call>
                    <h2>{tr(IntakeText::LogCall)}</h2>
                    {field(IntakeText::CallSubject, "call-subject", "text", "200", false, call_subject)}
                    {field(IntakeText::CallNotes, "call-notes", "text", "10000", false, call_notes)}
                    {field(IntakeText::Outcome, "call-outcome", "text", "500", false, call_outcome)}
                    <button class="action primary" type="submit" data-testid="call-save">{tr(IntakeText::SaveCall)}</button>
                </form>
                <form class="panel call-form" data-testid="call-case-form" on:submit=open_case>
                    <h2>{tr(IntakeText::OpenCase)}</h2>
                    {field(IntakeText::CaseSubject, "call-case-subject", "text", "200", true, case_subject)}
                    {field(IntakeText::CaseDetails, "call-case-details", "text", "10000", false, case_details)}
                    <div class="form-pair">
                        <label>
                            <span>{tr(CaseText::Priority)}</span>
                            <select data-testid="call-case-priority" on:change=move |ev| case_priority.set(event_target_value(&ev))>{priorities()}</select>
                        </label>
                        <label>
                            <span>{tr(CaseText::Category)}</span>
                            <select data-testid="call-case-category" on:change=move |ev| case_category.set(event_target_value(&ev))>{category_options(case_category)}</select>
                        </label>
                    </div>
                    <button class="action primary" type="submit" data-testid="call-case-save">{tr(IntakeText::SaveCase)}</button>
                </form>
            </div>
        })
    };
    view! {
        <div class="sales-page">
            <Header title=Msg::NavCallCentre />
            <main class="sales-main call-main">
                <form class="sales-filters" data-testid="caller-search" data-hydrated=move || hydrated.get().to_string() on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); find(); }>
                    {field(IntakeText::CallerPhone, "caller-phone", "tel", "50", true, phone)}
                    <button class="action primary" type="submit" data-testid="caller-find">{tr(IntakeText::Find)}</button>
                </form>
                <div role="status" aria-live="polite" class="sales-messages">
                    {move || failure.get().map(|f| view! { <p class="error" data-testid="call-error">{failure_text(&f, locale.get())}</p> })}
                    {move || notice.get().map(|n| view! { <p class="notice" data-testid="call-notice">{tr(n)}</p> })}
                </div>
                <div class="caller-results">{results}</div>
                {forms}
            </main>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn intake_texts_differ_by_language() {
        for t in [
            IntakeText::Thanks,
            IntakeText::Send,
            IntakeText::NoMatch,
            IntakeText::TooMany,
        ] {
            assert_ne!(t.text(Locale::En), t.text(Locale::Id), "{t:?}");
        }
    }
}

/// The answers a survey offers, 1 to 5.
pub const SURVEY_SCORES: [(i64, IntakeText); 5] = [
    (1, IntakeText::SurveyScore1),
    (2, IntakeText::SurveyScore2),
    (3, IntakeText::SurveyScore3),
    (4, IntakeText::SurveyScore4),
    (5, IntakeText::SurveyScore5),
];

/// `/survey/{token}`: the satisfaction survey behind an e-mailed link (no sign-in): what it is
/// about, a score from 1 to 5 and a comment, answered once (`/api/v1/public/surveys/{token}`).
#[component]
pub fn SurveyPage() -> impl IntoView {
    let locale = use_locale();
    let params = leptos_router::hooks::use_params_map();
    let token = move || params.with(|p| p.get("id").unwrap_or_default());
    let invite = RwSignal::new(None::<Result<Value, Failure>>);
    let score = RwSignal::new(None::<i64>);
    let comment = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let done = RwSignal::new(None::<Result<(), Failure>>);
    Effect::new(move |_| {
        let url = format!("/api/v1/public/surveys/{}", crate::rest::encode(&token()));
        leptos::task::spawn_local(async move {
            invite.set(Some(call("GET", url, None).await));
        });
    });
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(chosen) = score.get_untracked() else {
            done.set(Some(Err(Failure {
                status: 422,
                body: json!({"field": "score"}),
            })));
            return;
        };
        let body = json!({"score": chosen, "comment": comment.get_untracked()});
        let url = format!("/api/v1/public/surveys/{}", crate::rest::encode(&token()));
        sending.set(true);
        leptos::task::spawn_local(async move {
            done.set(Some(call("POST", url, Some(body)).await.map(|_| ())));
            sending.set(false);
        });
    };
    let about = move |v: &Value| match v["case_subject"].as_str() {
        Some(subject) => {
            let subject = subject.to_owned();
            view! { <p data-testid="survey-about">{tr(IntakeText::SurveyAboutCase)} " " <strong>{subject}</strong></p> }
                .into_any()
        }
        None => {
            let when = v["visit_at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.date_naive());
            view! {
                <p data-testid="survey-about">
                    {tr(IntakeText::SurveyAboutVisit)} " "
                    <strong>{move || when.map(crate::format_date).unwrap_or_default()}</strong>
                </p>
            }
            .into_any()
        }
    };
    let form = move |v: Value| {
        let account = v["account_name"].as_str().unwrap_or_default().to_owned();
        let buttons = SURVEY_SCORES
            .iter()
            .map(|&(n, label)| {
                view! {
                    <button type="button" class="survey-score" role="radio"
                        data-testid=format!("survey-score-{n}")
                        aria-checked=move || (score.get() == Some(n)).to_string()
                        class:active=move || score.get() == Some(n)
                        on:click=move |_| score.set(Some(n))>
                        {tr(label)}
                    </button>
                }
            })
            .collect_view();
        view! {
            {about(&v)}
            <p class="muted">{tr(IntakeText::SurveyFor)} " " {account}</p>
            <form class="panel survey-form" data-testid="survey-form" on:submit=send>
                <div class="survey-scores" role="radiogroup">{buttons}</div>
                <label>
                    <span>{tr(IntakeText::SurveyComment)}</span>
                    <textarea data-testid="survey-comment" maxlength="2000"
                        prop:value=move || comment.get()
                        on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                </label>
                <button type="submit" class="action primary" data-testid="survey-send" disabled=move || sending.get()>
                    {tr(IntakeText::SurveySend)}
                </button>
            </form>
        }
    };
    let body = move || {
        let l = locale.get();
        match (invite.get(), done.get()) {
            (None, _) => view! { <p class="muted">{tr(Msg::Loading)}</p> }.into_any(),
            (Some(Err(_)), _) => {
                view! { <p class="error" data-testid="survey-unknown">{tr(IntakeText::SurveyUnknown)}</p> }.into_any()
            }
            (_, Some(Ok(()))) => {
                view! { <p class="panel" data-testid="survey-thanks">{tr(IntakeText::SurveyThanks)}</p> }.into_any()
            }
            (Some(Ok(v)), _) if v["answered"] == true => view! {
                <p class="panel" data-testid="survey-answered">{tr(IntakeText::SurveyAnsweredAlready)}</p>
            }
            .into_any(),
            (_, Some(Err(f))) if f.status == 409 => view! {
                <p class="panel" data-testid="survey-answered">{tr(IntakeText::SurveyAnsweredAlready)}</p>
            }
            .into_any(),
            (Some(Ok(v)), failed) => {
                let problem = failed.and_then(Result::err).map(|f| {
                    let text = if f.body["field"] == "score" {
                        IntakeText::SurveyPickScore.text(l).to_owned()
                    } else {
                        failure_text(&f, l)
                    };
                    view! { <p class="error" data-testid="survey-error">{text}</p> }
                });
                view! { {form(v)} {problem} }.into_any()
            }
        }
    };
    view! {
        <div class="sales-page">
            <Header title=Msg::NavSurvey />
            <main class="sales-main report-main">
                <h2>{tr(IntakeText::SurveyTitle)}</h2>
                {body}
            </main>
        </div>
    }
}
