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
    Users,
    AddUser,
    ResetPassword,
    ApiTokens,
    CreateToken,
    TokenShownOnce,
    Revoke,
    Revoked,
    Saved,
}

impl Msg {
    pub fn text(self, locale: Locale) -> &'static str {
        let [en, id] = match self {
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
            Msg::Saved => ["Saved", "Tersimpan"],
        };
        match locale {
            Locale::En => en,
            Locale::Id => id,
        }
    }
}

/// The current language, shared through context by the root component.
pub fn use_locale() -> RwSignal<Locale> {
    expect_context::<RwSignal<Locale>>()
}

/// A reactive translation of `msg` in the current language.
pub fn tr(msg: Msg) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
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
    fn every_message_has_distinct_languages_where_it_should() {
        // Brand name aside, an untranslated label usually means a copy-paste slip.
        for msg in [
            Msg::Tagline,
            Msg::Customers,
            Msg::Prospects,
            Msg::Layers,
            Msg::SwitchLanguage,
        ] {
            assert_ne!(msg.text(Locale::En), msg.text(Locale::Id), "{msg:?}");
        }
    }
}
