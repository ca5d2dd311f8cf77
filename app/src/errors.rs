//! The REST API's error answers, read and said in the user's language. The server sends an
//! English `error` for API users plus a stable `code` with `params`; pages show
//! [`ApiFailure::text`] (or [`field_error`] next to a form field), never the English message.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::i18n::{Locale, Text};

/// One refused row of an import, as the API reports it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RowFailure {
    pub row: Option<usize>,
    pub field: Option<String>,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// An error answer of the REST API (`{"error", "code", "params", "field", "row", ...}`), with the
/// HTTP status it came with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ApiFailure {
    #[serde(skip)]
    pub status: u16,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    pub field: Option<String>,
    pub row: Option<usize>,
    pub current_version: Option<i64>,
    #[serde(default)]
    pub errors: Vec<RowFailure>,
}

impl ApiFailure {
    /// Reads an error answer; a body that is not one (a proxy's page, a cut connection) still
    /// gives a failure with a code from the status.
    pub fn from_answer(status: u16, body: &str) -> Self {
        let mut failure = serde_json::from_str::<ApiFailure>(body).unwrap_or(ApiFailure {
            status,
            code: String::new(),
            params: BTreeMap::new(),
            field: None,
            row: None,
            current_version: None,
            errors: Vec::new(),
        });
        failure.status = status;
        if failure.code.is_empty() {
            failure.code = match status {
                0 => "offline",
                401 => "unauthorized",
                403 => "forbidden",
                404 => "not_found",
                409 => "conflict",
                413 => "too_large",
                429 => "rate_limited",
                500..=599 => "internal",
                _ => "invalid",
            }
            .to_owned();
        }
        failure
    }

    /// A failure to reach the server at all.
    pub fn offline() -> Self {
        Self::from_answer(0, "")
    }

    /// Whether someone else changed the record first (409 with the current version).
    pub fn is_stale(&self) -> bool {
        self.status == 409 && self.current_version.is_some()
    }

    /// The whole error in words: the field's label (when one is at fault), the row, the rule.
    pub fn text(&self, locale: Locale) -> String {
        let rule = describe(&self.code, &self.params, locale);
        let mut text = String::new();
        if let Some(row) = self.row {
            text.push_str(
                &ErrorText::Row
                    .text(locale)
                    .replace("{row}", &row.to_string()),
            );
            text.push_str(": ");
        }
        if let Some(field) = self.field.as_deref().filter(|f| *f != "body") {
            text.push_str(&field_label(field, locale));
            text.push(' ');
        }
        text.push_str(&rule);
        text
    }
}

/// The rule a field broke, in words to show beside that field (`None` when the failure is not
/// about `field`).
pub fn field_error(failure: &ApiFailure, field: &str, locale: Locale) -> Option<String> {
    (failure.field.as_deref() == Some(field))
        .then(|| describe(&failure.code, &failure.params, locale))
}

/// A row's refusal in words: "Row 3: Latitude must be between -90 and 90".
pub fn row_error(error: &RowFailure, locale: Locale) -> String {
    ApiFailure {
        status: 422,
        code: error.code.clone(),
        params: error.params.clone(),
        field: error.field.clone(),
        row: error.row,
        current_version: None,
        errors: Vec::new(),
    }
    .text(locale)
}

/// The words of an error code, its parameters filled in. Codes this table does not know read as
/// a general refusal, so a newer server never makes the UI show a raw code.
pub fn describe(code: &str, params: &BTreeMap<String, String>, locale: Locale) -> String {
    let template = ErrorText::of_code(code).text(locale);
    params
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// The label of an API field name, in the user's language (the name itself, spaced, for a field
/// this table does not know).
pub fn field_label(field: &str, locale: Locale) -> String {
    match FieldText::of(field) {
        Some(label) => label.text(locale).to_owned(),
        None => field.replace('_', " "),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorText {
    Invalid,
    Required,
    Immutable,
    TooLong,
    OneOf,
    OutOfRange,
    NotText,
    NotWholeNumber,
    NotNumber,
    NotDate,
    NotTimestamp,
    BadId,
    UnknownField,
    NoSuchRecord,
    Transition,
    BadCurrency,
    TooMany,
    Unreadable,
    NotEmail,
    NoPlace,
    BadRequest,
    NotFound,
    Conflict,
    Duplicate,
    TooLarge,
    UnsupportedMediaType,
    Unavailable,
    Internal,
    Unauthorized,
    Forbidden,
    RateLimited,
    Busy,
    Offline,
    Row,
}

impl ErrorText {
    /// The ERROR_CODES of `wilayah_shared::account` and the status codes of the server's
    /// `ApiError`, by their stable words.
    fn of_code(code: &str) -> Self {
        use ErrorText as E;
        match code {
            "required" => E::Required,
            "immutable" => E::Immutable,
            "too_long" => E::TooLong,
            "one_of" => E::OneOf,
            "out_of_range" => E::OutOfRange,
            "not_text" => E::NotText,
            "not_whole_number" => E::NotWholeNumber,
            "not_number" => E::NotNumber,
            "not_date" => E::NotDate,
            "not_timestamp" => E::NotTimestamp,
            "bad_id" => E::BadId,
            "unknown_field" => E::UnknownField,
            "no_such_record" => E::NoSuchRecord,
            "transition" => E::Transition,
            "bad_currency" => E::BadCurrency,
            "too_many" => E::TooMany,
            "unreadable" => E::Unreadable,
            "not_email" => E::NotEmail,
            "no_place" => E::NoPlace,
            "bad_request" | "method_not_allowed" => E::BadRequest,
            "not_found" => E::NotFound,
            "conflict" => E::Conflict,
            "duplicate" => E::Duplicate,
            "too_large" => E::TooLarge,
            "unsupported_media_type" => E::UnsupportedMediaType,
            "unavailable" => E::Unavailable,
            "internal" => E::Internal,
            "unauthorized" => E::Unauthorized,
            "forbidden" => E::Forbidden,
            "rate_limited" => E::RateLimited,
            "busy" => E::Busy,
            "offline" => E::Offline,
            _ => E::Invalid,
        }
    }
}

impl Text for ErrorText {
    fn both(self) -> [&'static str; 2] {
        use ErrorText as E;
        match self {
            E::Invalid => ["is not accepted", "tidak dapat diterima"],
            E::Required => ["is required", "wajib diisi"],
            E::Immutable => ["cannot be changed", "tidak dapat diubah"],
            E::TooLong => [
                "is longer than {max} characters",
                "lebih dari {max} karakter",
            ],
            E::OneOf => [
                "is not one of the allowed choices",
                "bukan salah satu pilihan yang diizinkan",
            ],
            E::OutOfRange => [
                "must be between {min} and {max}",
                "harus di antara {min} dan {max}",
            ],
            E::NotText => ["must be text", "harus berupa teks"],
            E::NotWholeNumber => ["must be a whole number", "harus bilangan bulat"],
            E::NotNumber => ["must be a number", "harus berupa angka"],
            E::NotDate => [
                "must be a date like 2026-11-23",
                "harus tanggal seperti 2026-11-23",
            ],
            E::NotTimestamp => ["must be a date and time", "harus tanggal dan jam"],
            E::BadId => ["is not a valid reference", "bukan rujukan yang sah"],
            E::UnknownField => [
                "has an unknown field: {field}",
                "memuat kolom yang tidak dikenal: {field}",
            ],
            E::NotEmail => ["is not an e-mail address", "bukan alamat e-mail"],
            E::NoPlace => [
                "names no place we know: check it, or place the pin on the map",
                "tidak menunjuk tempat yang dikenal: periksa, atau letakkan pin di peta",
            ],
            E::NoSuchRecord => [
                "refers to a record that does not exist",
                "merujuk ke data yang tidak ada",
            ],
            E::Transition => [
                "cannot go from this state to the chosen one",
                "tidak dapat berpindah dari status ini ke status yang dipilih",
            ],
            E::BadCurrency => [
                "is not a currency code like IDR",
                "bukan kode mata uang seperti IDR",
            ],
            E::TooMany => [
                "has more than {max} entries",
                "berisi lebih dari {max} entri",
            ],
            E::Unreadable => ["cannot be read as CSV", "tidak dapat dibaca sebagai CSV"],
            E::BadRequest => [
                "was not understood by the server",
                "tidak dipahami oleh server",
            ],
            E::NotFound => [
                "This record does not exist (any more).",
                "Data ini tidak ada (lagi).",
            ],
            E::Conflict => [
                "Someone else changed this record in the meantime.",
                "Orang lain telah mengubah data ini sementara itu.",
            ],
            E::Duplicate => [
                "is already used by another record",
                "sudah dipakai oleh data lain",
            ],
            E::TooLarge => ["The file is too large.", "Berkas terlalu besar."],
            E::UnsupportedMediaType => [
                "This kind of file is not supported.",
                "Jenis berkas ini tidak didukung.",
            ],
            E::Unavailable => [
                "This service is not available right now.",
                "Layanan ini sedang tidak tersedia.",
            ],
            E::Internal => [
                "Something went wrong on the server. Please try again.",
                "Terjadi kesalahan di server. Silakan coba lagi.",
            ],
            E::Unauthorized => [
                "Your session has ended. Please sign in again.",
                "Sesi Anda telah berakhir. Silakan masuk lagi.",
            ],
            E::Forbidden => [
                "Your role may not do this.",
                "Peran Anda tidak diizinkan melakukan ini.",
            ],
            E::RateLimited => [
                "Too many attempts. Try again in {retry_after_s} s.",
                "Terlalu banyak percobaan. Coba lagi dalam {retry_after_s} detik.",
            ],
            E::Busy => [
                "The server is busy. Try again in {retry_after_s} s.",
                "Server sedang sibuk. Coba lagi dalam {retry_after_s} detik.",
            ],
            E::Offline => [
                "The server cannot be reached. Check the connection.",
                "Server tidak dapat dihubungi. Periksa koneksi.",
            ],
            E::Row => ["Row {row}", "Baris {row}"],
        }
    }
}

/// Labels of the API's field names that several pages show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldText {
    Name,
    Address,
    Lon,
    Lat,
    Kind,
    Status,
    Segment,
    Owner,
    Territory,
    Tags,
    Currency,
    Revenue,
    CostToServe,
    ExternalId,
    Email,
    Phone,
    Title,
    Stage,
    Value,
    ExpectedClose,
    LostReason,
    Subject,
    Priority,
    Resolution,
    Account,
    Version,
    File,
    ConsentEmail,
    ConsentSms,
    ConsentPhone,
    Opportunity,
    Case,
    DueOn,
    Assignee,
    Objective,
    Offer,
    Channel,
    Budget,
    StartsOn,
    EndsOn,
    SegmentId,
    ControlShare,
    Templates,
    Area,
    AnyTag,
    MinChurnRisk,
    LastOrderAfter,
    LastOrderBefore,
}

impl FieldText {
    fn of(field: &str) -> Option<Self> {
        use FieldText as F;
        Some(match field {
            "name" => F::Name,
            "address" => F::Address,
            "lon" => F::Lon,
            "lat" => F::Lat,
            "kind" => F::Kind,
            "status" => F::Status,
            "segment" => F::Segment,
            "owner_id" => F::Owner,
            "territory_id" => F::Territory,
            "tags" => F::Tags,
            "currency" => F::Currency,
            "revenue_minor" => F::Revenue,
            "cost_to_serve_minor" => F::CostToServe,
            "external_id" => F::ExternalId,
            "email" => F::Email,
            "phone" => F::Phone,
            "title" => F::Title,
            "stage" => F::Stage,
            "value_minor" => F::Value,
            "expected_close" => F::ExpectedClose,
            "lost_reason" => F::LostReason,
            "subject" => F::Subject,
            "priority" => F::Priority,
            "resolution" => F::Resolution,
            "account_id" => F::Account,
            "version" => F::Version,
            "file" | "header" => F::File,
            "consent_email" | "consent_email_on" | "consent_email_source" => F::ConsentEmail,
            "consent_sms" | "consent_sms_on" | "consent_sms_source" => F::ConsentSms,
            "consent_phone" | "consent_phone_on" | "consent_phone_source" => F::ConsentPhone,
            "opportunity_id" => F::Opportunity,
            "case_id" => F::Case,
            "due_on" => F::DueOn,
            "assignee_id" => F::Assignee,
            "objective" => F::Objective,
            "offer" => F::Offer,
            "channel" => F::Channel,
            "budget_minor" => F::Budget,
            "starts_on" => F::StartsOn,
            "ends_on" => F::EndsOn,
            "segment_id" => F::SegmentId,
            "control_share" => F::ControlShare,
            "templates" => F::Templates,
            "area" => F::Area,
            "any_tag" => F::AnyTag,
            "min_churn_risk" => F::MinChurnRisk,
            "last_order_after" => F::LastOrderAfter,
            "last_order_before" => F::LastOrderBefore,
            _ => return None,
        })
    }
}

impl Text for FieldText {
    fn both(self) -> [&'static str; 2] {
        use FieldText as F;
        match self {
            F::Name => ["Name", "Nama"],
            F::Address => ["Address", "Alamat"],
            F::Lon => ["Longitude", "Bujur"],
            F::Lat => ["Latitude", "Lintang"],
            F::Kind => ["Type", "Jenis"],
            F::Status => ["Status", "Status"],
            F::Segment => ["Segment", "Segmen"],
            F::Owner => ["Owner", "Pemilik"],
            F::Territory => ["Territory", "Wilayah penjualan"],
            F::Tags => ["Tags", "Label"],
            F::Currency => ["Currency", "Mata uang"],
            F::Revenue => ["Revenue", "Pendapatan"],
            F::CostToServe => ["Cost to serve", "Biaya layanan"],
            F::ExternalId => ["External id", "Id eksternal"],
            F::Email => ["E-mail", "Surel"],
            F::Phone => ["Phone", "Telepon"],
            F::Title => ["Title", "Judul"],
            F::Stage => ["Stage", "Tahap"],
            F::Value => ["Value", "Nilai"],
            F::ExpectedClose => ["Expected close", "Perkiraan penutupan"],
            F::LostReason => ["Reason lost", "Alasan kalah"],
            F::Subject => ["Subject", "Perihal"],
            F::Priority => ["Priority", "Prioritas"],
            F::Resolution => ["Resolution", "Penyelesaian"],
            F::Account => ["Account", "Akun"],
            F::Version => ["Version", "Versi"],
            F::File => ["File", "Berkas"],
            F::ConsentEmail => ["E-mail consent", "Persetujuan e-mail"],
            F::ConsentSms => ["SMS/WhatsApp consent", "Persetujuan SMS/WhatsApp"],
            F::ConsentPhone => ["Phone consent", "Persetujuan telepon"],
            F::Opportunity => ["Deal", "Peluang"],
            F::Case => ["Case", "Kasus"],
            F::DueOn => ["Due", "Jatuh tempo"],
            F::Assignee => ["Assignee", "Penanggung jawab"],
            F::Objective => ["Objective", "Tujuan"],
            F::Offer => ["Offer", "Penawaran"],
            F::Channel => ["Channel", "Saluran"],
            F::Budget => ["Budget", "Anggaran"],
            F::StartsOn => ["Start", "Mulai"],
            F::EndsOn => ["End", "Selesai"],
            F::SegmentId => ["Segment", "Segmen"],
            F::ControlShare => ["Control group", "Kelompok kontrol"],
            F::Templates => ["E-mail text", "Teks surel"],
            F::Area => ["Area", "Area"],
            F::AnyTag => ["Tags", "Label"],
            F::MinChurnRisk => ["Churn risk", "Risiko churn"],
            F::LastOrderAfter => ["Last order after", "Pesanan terakhir sejak"],
            F::LastOrderBefore => ["No order since", "Tidak memesan sejak"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_server_sends_has_words_in_both_languages() {
        let server_codes = [
            "bad_request",
            "not_found",
            "conflict",
            "duplicate",
            "method_not_allowed",
            "too_large",
            "unsupported_media_type",
            "unavailable",
            "internal",
            "unauthorized",
            "forbidden",
            "rate_limited",
            "busy",
        ];
        let rule_codes = wilayah_shared::account::ERROR_CODES.iter().map(|(c, _)| *c);
        for code in rule_codes.chain(server_codes) {
            let text = ErrorText::of_code(code);
            assert!(
                code == "invalid" || text != ErrorText::Invalid,
                "{code} has no words of its own"
            );
            assert_ne!(text.text(Locale::En), text.text(Locale::Id), "{code}");
        }
        // Every parameter a rule carries has its place in both templates.
        for (code, params) in wilayah_shared::account::ERROR_CODES {
            for locale in [Locale::En, Locale::Id] {
                let template = ErrorText::of_code(code).text(locale);
                for param in *params {
                    assert!(
                        template.contains(&format!("{{{param}}}"))
                            || *code == "one_of"
                            || *code == "transition",
                        "{code} in {locale:?} lacks {{{param}}}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_error_answer_reads_in_indonesian_with_its_parameters() {
        let body = r#"{"error":"name: longer than 200 characters","code":"too_long","params":{"max":"200"},"field":"name"}"#;
        let failure = ApiFailure::from_answer(422, body);
        assert_eq!(failure.text(Locale::Id), "Nama lebih dari 200 karakter");
        assert_eq!(
            field_error(&failure, "name", Locale::En).as_deref(),
            Some("is longer than 200 characters")
        );
        assert_eq!(field_error(&failure, "address", Locale::En), None);
    }

    #[test]
    fn unknown_codes_and_foreign_bodies_never_show_raw() {
        let failure = ApiFailure::from_answer(
            422,
            r#"{"error":"x","code":"brand_new_rule","field":"colour"}"#,
        );
        assert_eq!(failure.text(Locale::Id), "colour tidak dapat diterima");
        let failure = ApiFailure::from_answer(502, "<html>bad gateway</html>");
        assert_eq!(failure.code, "internal");
        assert!(failure.text(Locale::Id).starts_with("Terjadi kesalahan"));
        assert_eq!(
            ApiFailure::offline().text(Locale::En),
            "The server cannot be reached. Check the connection."
        );
    }

    #[test]
    fn import_rows_are_named() {
        let row = RowFailure {
            row: Some(3),
            field: Some("lat".into()),
            code: "out_of_range".into(),
            params: BTreeMap::from([("min".into(), "-90".into()), ("max".into(), "90".into())]),
        };
        assert_eq!(
            row_error(&row, Locale::Id),
            "Baris 3: Lintang harus di antara -90 dan 90"
        );
    }
}
