//! Positions from addresses, offline: a gazetteer of Indonesia's populated places (GeoNames,
//! built into the app) and its provinces. `docs/geocoding.md` describes the rules and figures.
//!
//! The gazetteer knows places and provinces only, so an offline hit is [`Precision::Place`]
//! (the position of the populated place named in the address) or [`Precision::Province`] (the
//! province's capital); the finer and intermediate levels come from an external geocoder
//! ([`nominatim`]) when one is configured.

pub mod nominatim;
mod provinces;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::LonLat;
use crate::spatial::haversine_m;
use crate::text::words;
use provinces::{PLACE_ALIASES, PROVINCE_FIXES, PROVINCES};

/// How closely a position locates an address, coarsest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Province,
    /// Regency (kabupaten) or city (kota).
    Regency,
    /// District (kecamatan).
    District,
    /// A populated place: town, village, neighbourhood.
    Place,
    Street,
}

/// A position found for an address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeocodeHit {
    pub lon: f64,
    pub lat: f64,
    pub precision: Precision,
    /// What the position is of, e.g. "Bandung, Jawa Barat".
    pub matched_name: String,
    /// Several places fitted the address equally well and one was picked by a fixed rule.
    pub ambiguous: bool,
}

impl GeocodeHit {
    fn at(position: LonLat, precision: Precision, matched_name: String, ambiguous: bool) -> Self {
        Self {
            lon: position.lon(),
            lat: position.lat(),
            precision,
            matched_name,
            ambiguous,
        }
    }

    pub fn position(&self) -> LonLat {
        // Every constructor takes its coordinates from a validated `LonLat`.
        LonLat::new_unchecked(self.lon, self.lat)
    }
}

/// The built-in gazetteer's data: Indonesian populated places from GeoNames (geonames.org,
/// CC BY 4.0), `name,lat,lng,admin1` with the GeoNames province (admin1) code.
pub const GEONAMES_ID_PLACES_CSV: &str = include_str!("../../data/id-cities-geonames.csv");

/// Geocodes with the built-in gazetteer (built once, on first use).
pub fn geocode(address: &str) -> Option<GeocodeHit> {
    static BUILT_IN: OnceLock<Gazetteer> = OnceLock::new();
    BUILT_IN
        .get_or_init(|| {
            Gazetteer::from_csv(GEONAMES_ID_PLACES_CSV).expect("the built-in gazetteer is valid")
        })
        .geocode(address)
}

/// The provinces the gazetteer knows, as (GeoNames admin1 code, official name).
pub fn provinces() -> impl Iterator<Item = (&'static str, &'static str)> {
    PROVINCES.iter().map(|p| (p.code, p.name))
}

/// A bad row of a gazetteer file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("gazetteer row {row}: {message}")]
pub struct GazetteerError {
    /// 1-based data row (the header is row 0).
    pub row: usize,
    pub message: String,
}

/// Capitals first, then other cities, then the rest: the order in which places of one name win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Capital,
    City,
    Other,
}

#[derive(Debug, Clone)]
struct Place {
    name: String,
    position: LonLat,
    province: Option<u8>,
    rank: Rank,
}

#[derive(Debug, Clone)]
struct Province {
    name: &'static str,
    position: LonLat,
}

/// Places and provinces, looked up by their folded names.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    places: Vec<Place>,
    provinces: Vec<Province>,
    /// A name's words joined without spaces → the places of that name, best first.
    place_keys: HashMap<String, Vec<u32>>,
    province_keys: HashMap<String, u8>,
    /// The most words in any name.
    longest: usize,
}

/// Two places named in one address this close together are read as one place and its town.
const NEAR_M: f64 = 50_000.0;

fn key_of(name: &str) -> String {
    words(name).concat()
}

impl Gazetteer {
    /// From `name,lat,lng,admin1` rows (a header first); admin1 codes not among the provinces
    /// (GeoNames' "00", unknown) leave a place without province.
    pub fn from_csv(text: &str) -> Result<Self, GazetteerError> {
        let mut places = Vec::new();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for (i, record) in reader.records().enumerate() {
            let row = i + 1;
            let bad = |message: String| GazetteerError { row, message };
            let record = record.map_err(|e| bad(e.to_string()))?;
            let field = |n: usize, what: &str| {
                record
                    .get(n)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| bad(format!("{what} is missing")))
            };
            let name = field(0, "name")?;
            let number = |n: usize, what: &str| {
                field(n, what)?
                    .parse::<f64>()
                    .map_err(|_| bad(format!("{what} is not a number")))
            };
            let position = LonLat::new(number(2, "lng")?, number(1, "lat")?)
                .map_err(|e| bad(e.to_string()))?;
            let mut code = field(3, "admin1")?;
            if let Some(&(_, _, right)) = PROVINCE_FIXES
                .iter()
                .find(|(n, wrong, _)| *n == name && *wrong == code)
            {
                code = right;
            }
            places.push(Place {
                name: name.to_owned(),
                position,
                province: PROVINCES
                    .iter()
                    .position(|p| p.code == code)
                    .map(|i| i as u8),
                rank: Rank::Other,
            });
        }
        let mut place_keys: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, place) in places.iter().enumerate() {
            place_keys
                .entry(key_of(&place.name))
                .or_default()
                .push(i as u32);
        }
        let mut ranks = Vec::new();
        let mut provinces = Vec::with_capacity(PROVINCES.len());
        for (pi, spec) in PROVINCES.iter().enumerate() {
            let capital = find_place(&places, &place_keys, spec.capital, pi);
            ranks.extend(capital.map(|i| (i, Rank::Capital)));
            for city in spec.cities {
                ranks.extend(find_place(&places, &place_keys, city, pi).map(|i| (i, Rank::City)));
            }
            let position = match capital {
                Some(i) => places[i as usize].position,
                None => mean_position(places.iter().filter(|p| p.province == Some(pi as u8)))
                    .unwrap_or(LonLat::new_unchecked(118.0, -2.0)),
            };
            provinces.push(Province {
                name: spec.name,
                position,
            });
        }
        for (i, rank) in ranks {
            places[i as usize].rank = rank;
        }
        for &(alias, name, code) in PLACE_ALIASES {
            let target = PROVINCES
                .iter()
                .position(|p| p.code == code)
                .and_then(|pi| find_place(&places, &place_keys, name, pi));
            if let Some(i) = target {
                place_keys.entry(key_of(alias)).or_default().push(i);
            }
        }
        // Best first: capital, city, other; then a fixed order (province code, position).
        let order = |i: &u32| {
            let p = &places[*i as usize];
            let code = p.province.map_or("~", |pi| PROVINCES[pi as usize].code);
            (
                p.rank,
                code,
                p.position.lat().to_bits(),
                p.position.lon().to_bits(),
            )
        };
        for ids in place_keys.values_mut() {
            ids.sort_by_key(order);
            ids.dedup();
        }
        let mut province_keys = HashMap::new();
        for (pi, spec) in PROVINCES.iter().enumerate() {
            for name in std::iter::once(&spec.name).chain(spec.aliases) {
                province_keys.insert(key_of(name), pi as u8);
            }
        }
        let longest = places
            .iter()
            .map(|p| p.name.as_str())
            .chain(PLACE_ALIASES.iter().map(|a| a.0))
            .chain(PROVINCES.iter().flat_map(|p| p.aliases.iter().copied()))
            .chain(PROVINCES.iter().map(|p| p.name))
            .map(|n| words(n).len())
            .max()
            .unwrap_or(1);
        Ok(Self {
            places,
            provinces,
            place_keys,
            province_keys,
            longest,
        })
    }

    /// How many places the gazetteer holds.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The position of the place or province an address names, or `None` when it names
    /// neither. Rules (docs/geocoding.md): street parts are skipped; a place inside a named
    /// province wins over places elsewhere; of several places named, an earlier (more specific)
    /// one is taken when it lies within 50 km of the last one, else the last; among places of
    /// one name, a capital, then a city, then a fixed order. With no place, the named province.
    pub fn geocode(&self, address: &str) -> Option<GeocodeHit> {
        let mentions = self.mentions(address);
        let named: Vec<u8> = mentions.iter().filter_map(|m| m.province).collect();
        let in_named = |i: &u32| {
            named.is_empty()
                || self.places[*i as usize]
                    .province
                    .is_some_and(|p| named.contains(&p))
        };
        // "Gorontalo", "Jambi": a province's name that is also its capital's is read as the
        // province when other places are named.
        let others_named = mentions
            .iter()
            .any(|m| m.province.is_none() && !m.places.is_empty());
        let candidates: Vec<Vec<u32>> = mentions
            .iter()
            .filter(|m| !(others_named && m.province.is_some()))
            .map(|m| {
                m.places
                    .iter()
                    .copied()
                    .filter(in_named)
                    .collect::<Vec<_>>()
            })
            .filter(|ids| !ids.is_empty())
            .collect();
        let Some((last, earlier)) = candidates.split_last() else {
            let &province = named.last()?;
            let p = &self.provinces[province as usize];
            let mut distinct = named.clone();
            distinct.dedup();
            return Some(GeocodeHit::at(
                p.position,
                Precision::Province,
                p.name.to_owned(),
                distinct.len() > 1,
            ));
        };
        let anchor = last[0];
        let tied = last
            .iter()
            .filter(|&&i| self.places[i as usize].rank == self.places[anchor as usize].rank)
            .count();
        let anchor_at = self.places[anchor as usize].position;
        let near_anchor = earlier.iter().find_map(|ids| {
            ids.iter()
                .map(|&i| (haversine_m(self.places[i as usize].position, anchor_at), i))
                .filter(|(d, _)| *d <= NEAR_M)
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                .map(|(_, i)| i)
        });
        let (chosen, ambiguous) = match near_anchor {
            Some(i) => (i, false),
            None => (anchor, tied > 1),
        };
        let place = &self.places[chosen as usize];
        let name = match place.province {
            Some(p) => format!("{}, {}", place.name, self.provinces[p as usize].name),
            None => place.name.clone(),
        };
        Some(GeocodeHit::at(
            place.position,
            Precision::Place,
            name,
            ambiguous,
        ))
    }

    /// The places and provinces an address names, in order.
    fn mentions(&self, address: &str) -> Vec<Mention> {
        let mut out = Vec::new();
        for segment in address.split([',', ';', '\n', '|']) {
            let words = without_street(words(segment));
            let spelled: Vec<String> = words.iter().map(|w| modern_spelling(w)).collect();
            let mut i = 0;
            while i < words.len() {
                let longest = self.longest.min(words.len() - i);
                let found = (1..=longest).rev().find_map(|n| {
                    if n == 1 && LEVEL_WORDS.contains(&words[i].as_str()) {
                        return None;
                    }
                    let raw = words[i..i + n].concat();
                    let modern = spelled[i..i + n].concat();
                    self.mention(&raw)
                        .or_else(|| self.mention(&modern))
                        .map(|m| (n, m))
                });
                match found {
                    Some((n, m)) => {
                        out.push(m);
                        i += n;
                    }
                    None => i += 1,
                }
            }
        }
        out
    }

    fn mention(&self, key: &str) -> Option<Mention> {
        let province = self.province_keys.get(key).copied();
        let mut places = self.place_keys.get(key).cloned().unwrap_or_default();
        if let Some(p) = province {
            // "Jakarta", "Bengkulu": a province's name that is also a place in it names both.
            places.retain(|&i| self.places[i as usize].province == Some(p));
        }
        (province.is_some() || !places.is_empty()).then_some(Mention { province, places })
    }
}

/// A stretch of an address naming a province, places, or a place of a province's name.
struct Mention {
    province: Option<u8>,
    places: Vec<u32>,
}

/// The place of `name` in province `province` (an index into `PROVINCES`).
fn find_place(
    places: &[Place],
    keys: &HashMap<String, Vec<u32>>,
    name: &str,
    province: usize,
) -> Option<u32> {
    keys.get(&key_of(name))?
        .iter()
        .copied()
        .find(|&i| places[i as usize].province == Some(province as u8))
}

fn mean_position<'a>(places: impl Iterator<Item = &'a Place>) -> Option<LonLat> {
    let (mut lon, mut lat, mut n) = (0.0, 0.0, 0.0);
    for p in places {
        lon += p.position.lon();
        lat += p.position.lat();
        n += 1.0;
    }
    (n > 0.0).then(|| LonLat::new_unchecked(lon / n, lat / n))
}

/// Words that start the street part of an address (street, alley, housing estate, block,
/// neighbourhood unit), whose names must not be read as places.
const STREET_WORDS: &[&str] = &[
    "jl",
    "jln",
    "jalan",
    "gg",
    "gang",
    "lorong",
    "komplek",
    "kompleks",
    "komp",
    "perum",
    "perumahan",
    "blok",
    "ruko",
    "rt",
    "rw",
    "no",
    "nomor",
];

/// Words naming an administrative level ("Kota Bandung", "Kab. Sleman", "Kec. Wonosari"): not
/// names by themselves, though a name may start with one ("Kotaagung", "Kota Agung").
const LEVEL_WORDS: &[&str] = &[
    "kota",
    "kabupaten",
    "kab",
    "kecamatan",
    "kec",
    "kelurahan",
    "kel",
    "desa",
    "ds",
    "dusun",
    "kampung",
    "kp",
    "provinsi",
    "prov",
    "propinsi",
];

/// Words that say nothing about where: the country, and number markers.
const NOISE_WORDS: &[&str] = &["indonesia", "no", "nomor", "rt", "rw"];

/// An address segment's words without its street part: from a street word up to and including
/// the first word holding a digit (the house number), or to the end when none does; then
/// without numbers (house numbers, postcodes) and noise words.
fn without_street(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    let mut in_street = false;
    for w in words {
        if STREET_WORDS.contains(&w.as_str()) && out.is_empty() {
            in_street = true;
        }
        let numeric = w.chars().any(|c| c.is_ascii_digit());
        if in_street {
            in_street = !numeric;
            continue;
        }
        if !numeric && !NOISE_WORDS.contains(&w.as_str()) {
            out.push(w);
        }
    }
    out
}

/// A word in the spelling used before 1972 (Van Ophuijsen / Soewandi: "Soerabaja",
/// "Djakarta", "Tjirebon") in today's spelling; other words unchanged.
fn modern_spelling(word: &str) -> String {
    if !(word.contains("oe") || word.contains("dj") || word.contains("tj")) {
        return word.to_owned();
    }
    let mut out = String::with_capacity(word.len());
    let b = word.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let pair = b.get(i..i + 2);
        let (text, step) = match pair {
            Some(b"dj") => ("j", 2),
            Some(b"tj") => ("c", 2),
            Some(b"oe") => ("u", 2),
            Some(b"nj") => ("ny", 2),
            Some(b"sj") => ("sy", 2),
            Some(b"ch") => ("kh", 2),
            _ if b[i] == b'j' => ("y", 1),
            _ => {
                let c = word[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
                continue;
            }
        };
        out.push_str(text);
        i += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_spellings_become_todays() {
        assert_eq!(modern_spelling("soerabaja"), "surabaya");
        assert_eq!(modern_spelling("djakarta"), "jakarta");
        assert_eq!(modern_spelling("tjirebon"), "cirebon");
        assert_eq!(modern_spelling("bandoeng"), "bandung");
        assert_eq!(modern_spelling("jakarta"), "jakarta");
    }

    #[test]
    fn street_parts_and_numbers_are_skipped() {
        let w = |s: &str| without_street(words(s));
        assert_eq!(w("Jl. Asia Afrika No. 8 Bandung"), ["bandung"]);
        assert_eq!(w("Jalan Malang"), Vec::<String>::new());
        assert_eq!(w("Kota Bandung 40111"), ["kota", "bandung"]);
        assert_eq!(w("RT 01 RW 02 Kel. Cicendo"), ["kel", "cicendo"]);
    }
}
