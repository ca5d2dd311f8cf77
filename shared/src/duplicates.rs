//! Likely duplicate accounts: the same company name within 200 m, or the same phone, e-mail
//! or external id, each after normalisation. Pure: the existing accounts' keys and the point
//! index are handed in. `docs/duplicates.md` describes the rules.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::LonLat;
use crate::spatial::PointIndex;
use crate::text::words;

/// Accounts with the same normalised name closer than this are likely one.
pub const SAME_NAME_RADIUS_M: f64 = 200.0;

/// Legal forms and shop words that do not tell two companies apart: "PT Sinar Jaya Tbk" is
/// "Toko Sinar Jaya". (PT perseroan terbatas, CV commanditaire vennootschap, Tbk terbuka, UD
/// usaha dagang, PD perusahaan dagang, Fa firma, Persero state-owned, Koperasi excluded: a
/// co-operative is not the shop of the same name.)
const LEGAL_FORMS: &[&str] = &[
    "pt", "cv", "tbk", "ud", "pd", "fa", "firma", "persero", "toko", "ltd", "inc", "co",
];

/// A company name reduced to what identifies it: folded (case, diacritics, punctuation,
/// spacing), initials written with dots joined ("P.T." → "pt"), and legal forms dropped. A
/// name made only of legal forms keeps them.
pub fn company_name_key(name: &str) -> String {
    let mut joined: Vec<String> = Vec::new();
    let mut initials = String::new();
    for w in words(name) {
        if w.chars().count() == 1 && w.chars().all(char::is_alphabetic) {
            initials.push_str(&w);
            continue;
        }
        if !initials.is_empty() {
            joined.push(std::mem::take(&mut initials));
        }
        joined.push(w);
    }
    if !initials.is_empty() {
        joined.push(initials);
    }
    let kept: Vec<&str> = joined
        .iter()
        .map(String::as_str)
        .filter(|w| !LEGAL_FORMS.contains(w))
        .collect();
    if kept.is_empty() {
        joined.join(" ")
    } else {
        kept.join(" ")
    }
}

/// An Indonesian phone number in E.164 ("+628123456789"), from the ways it is written:
/// "0812-3456-789", "62 812 3456 789", "+62 (21) 555-1234", "0062 21 5551234". Spaces,
/// dashes, dots and brackets are ignored; a number with another country code ("+65 …") is
/// kept with it. `None` for text that is not a phone number (letters, too few or too many
/// digits).
pub fn phone_e164(phone: &str) -> Option<String> {
    let phone = phone.trim();
    let (plus, rest) = match phone.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, phone),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    let international = if plus {
        digits
    } else if let Some(national) = digits.strip_prefix("00") {
        national.to_owned()
    } else if digits.starts_with("62") {
        digits
    } else if let Some(national) = digits.strip_prefix('0') {
        format!("62{national}")
    } else {
        return None;
    };
    // A national number after 62 has 7 (small-town landline) to 12 digits; E.164 allows 15.
    let national_len = international.strip_prefix("62").map(str::len);
    let plausible = match national_len {
        Some(n) => (7..=12).contains(&n) && !international[2..].starts_with('0'),
        None => (8..=15).contains(&international.len()),
    };
    plausible.then(|| format!("+{international}"))
}

/// An e-mail address compared case-insensitively and trimmed; `None` when it is not one
/// (one `@`, something before it, a dotted domain after it, no spaces).
pub fn email_key(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace);
    valid.then_some(email)
}

/// What identifies an account for duplicate finding, as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountIdentity {
    /// Set for an account that exists already (it is never its own duplicate).
    pub id: Option<i64>,
    pub name: String,
    pub position: Option<LonLat>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub external_id: Option<String>,
}

/// Why an account is likely a duplicate of another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same normalised name, this far away.
    SameNameNearby {
        distance_m: f64,
    },
    SamePhone {
        phone: String,
    },
    SameEmail {
        email: String,
    },
    SameExternalId {
        external_id: String,
    },
}

/// An existing account that is likely the same as the candidate, with every reason found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Duplicate {
    pub account_id: i64,
    pub reasons: Vec<DuplicateReason>,
}

/// The existing accounts' normalised names, phones, e-mails and external ids; their
/// positions are in the [`PointIndex`] the caller keeps (same ids). Keep it in step with
/// [`DuplicateKeys::upsert`] and [`DuplicateKeys::remove`].
#[derive(Debug, Clone, Default)]
pub struct DuplicateKeys {
    names: HashMap<i64, String>,
    by_phone: HashMap<String, Vec<i64>>,
    by_email: HashMap<String, Vec<i64>>,
    by_external_id: HashMap<String, Vec<i64>>,
    /// Each account's phone, e-mail and external id keys, to remove them again.
    keys_of: HashMap<i64, Vec<(Key, String)>>,
}

/// The kinds of exact keys, in the order their reasons are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Phone,
    Email,
    ExternalId,
}

impl Key {
    fn reason(self, key: String) -> DuplicateReason {
        match self {
            Key::Phone => DuplicateReason::SamePhone { phone: key },
            Key::Email => DuplicateReason::SameEmail { email: key },
            Key::ExternalId => DuplicateReason::SameExternalId { external_id: key },
        }
    }
}

impl AccountIdentity {
    /// Its phone, e-mail and external id keys, normalised, sorted and without repeats.
    fn keys(&self) -> Vec<(Key, String)> {
        let phones = self.phones.iter().filter_map(|p| phone_e164(p));
        let emails = self.emails.iter().filter_map(|e| email_key(e));
        let external = self.external_id.as_deref().and_then(external_id_key);
        let mut keys: Vec<(Key, String)> = phones
            .map(|k| (Key::Phone, k))
            .chain(emails.map(|k| (Key::Email, k)))
            .chain(external.map(|k| (Key::ExternalId, k)))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

fn external_id_key(id: &str) -> Option<String> {
    let id = id.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

impl DuplicateKeys {
    pub fn new(accounts: impl IntoIterator<Item = AccountIdentity>) -> Self {
        let mut keys = Self::default();
        for a in accounts {
            keys.upsert(&a);
        }
        keys
    }

    /// Adds or replaces an existing account's keys (its `id` must be set; without one,
    /// nothing is stored).
    pub fn upsert(&mut self, account: &AccountIdentity) {
        let Some(id) = account.id else { return };
        self.remove(id);
        self.names.insert(id, company_name_key(&account.name));
        let keys = account.keys();
        for (kind, key) in &keys {
            self.map_mut(*kind).entry(key.clone()).or_default().push(id);
        }
        self.keys_of.insert(id, keys);
    }

    pub fn remove(&mut self, id: i64) {
        self.names.remove(&id);
        for (kind, key) in self.keys_of.remove(&id).unwrap_or_default() {
            let map = self.map_mut(kind);
            if let Some(ids) = map.get_mut(&key) {
                ids.retain(|&i| i != id);
                if ids.is_empty() {
                    map.remove(&key);
                }
            }
        }
    }

    fn map(&self, kind: Key) -> &HashMap<String, Vec<i64>> {
        match kind {
            Key::Phone => &self.by_phone,
            Key::Email => &self.by_email,
            Key::ExternalId => &self.by_external_id,
        }
    }

    fn map_mut(&mut self, kind: Key) -> &mut HashMap<String, Vec<i64>> {
        match kind {
            Key::Phone => &mut self.by_phone,
            Key::Email => &mut self.by_email,
            Key::ExternalId => &mut self.by_external_id,
        }
    }
}

/// The existing accounts that are likely the same as `candidate`: the same normalised name
/// within [`SAME_NAME_RADIUS_M`] (great-circle, found through `points`), or the same phone,
/// e-mail or external id. Sorted by account id, reasons in the order above.
pub fn likely_duplicates(
    candidate: &AccountIdentity,
    existing: &DuplicateKeys,
    points: &PointIndex,
) -> Vec<Duplicate> {
    let mut found: Vec<(i64, DuplicateReason)> = Vec::new();
    let name = company_name_key(&candidate.name);
    if let Some(position) = candidate.position
        && !name.is_empty()
    {
        let near = points
            .within_radius(position, SAME_NAME_RADIUS_M)
            .unwrap_or_default();
        for hit in near {
            if existing.names.get(&hit.point.id) == Some(&name) {
                found.push((
                    hit.point.id,
                    DuplicateReason::SameNameNearby {
                        distance_m: hit.distance_m,
                    },
                ));
            }
        }
    }
    for (kind, key) in candidate.keys() {
        if let Some(ids) = existing.map(kind).get(&key) {
            found.extend(ids.iter().map(|&id| (id, kind.reason(key.clone()))));
        }
    }
    // Stable: reasons keep the order they were found in within each account.
    found.sort_by_key(|(id, _)| *id);
    let mut out: Vec<Duplicate> = Vec::new();
    for (id, reason) in found {
        if Some(id) == candidate.id {
            continue;
        }
        match out.last_mut() {
            Some(d) if d.account_id == id => d.reasons.push(reason),
            _ => out.push(Duplicate {
                account_id: id,
                reasons: vec![reason],
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_names_lose_case_punctuation_and_legal_forms() {
        for (a, b) in [
            ("PT. Sinar Jaya Tbk", "sinar jaya"),
            ("P.T. SINAR  JAYA", "sinar jaya"),
            ("Toko Sinar-Jaya", "sinar jaya"),
            ("CV Maju Bersama", "maju bersama"),
            ("UD. Makmur", "makmur"),
            ("Apotek Séhat", "apotek sehat"),
            (
                "PT Bank Rakyat Indonesia (Persero) Tbk",
                "bank rakyat indonesia",
            ),
            ("Toko", "toko"),
        ] {
            assert_eq!(company_name_key(a), b, "{a}");
        }
        assert_ne!(
            company_name_key("Koperasi Makmur"),
            company_name_key("UD Makmur")
        );
    }

    #[test]
    fn indonesian_phone_numbers_become_e164() {
        for written in [
            "0812-3456-7890",
            "0812 3456 7890",
            "62 812 3456 7890",
            "+62 812-3456-7890",
            "+62 (812) 3456.7890",
            "0062 812 3456 7890",
            "6281234567890",
        ] {
            assert_eq!(
                phone_e164(written).as_deref(),
                Some("+6281234567890"),
                "{written}"
            );
        }
        assert_eq!(
            phone_e164("(021) 555-1234").as_deref(),
            Some("+62215551234")
        );
        assert_eq!(phone_e164("+65 6123 4567").as_deref(), Some("+6561234567"));
        for bad in [
            "",
            "call me",
            "0812-ABCD",
            "12345",
            "0",
            "+62 0812 3456 7890",
            "812345678",
        ] {
            assert_eq!(phone_e164(bad), None, "{bad}");
        }
    }

    #[test]
    fn emails_compare_without_case_or_spaces_around() {
        assert_eq!(
            email_key("  Budi.Santoso@Example.CO.ID ").as_deref(),
            Some("budi.santoso@example.co.id")
        );
        for bad in [
            "budi",
            "budi@",
            "@example.com",
            "budi@example",
            "a b@example.com",
            "a@b@c.id",
        ] {
            assert_eq!(email_key(bad), None, "{bad}");
        }
    }
}
