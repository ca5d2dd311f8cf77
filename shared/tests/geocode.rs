//! The offline geocoder against the gazetteer file itself: expected positions are read from the
//! file here, not written into the tests.

use wilayah_shared::LonLat;
use wilayah_shared::geocode::{GEONAMES_ID_PLACES_CSV, GeocodeHit, Precision, geocode};
use wilayah_shared::spatial::haversine_m;

/// The file's places as (name, province code, position), read with plain string splitting.
fn file_places() -> Vec<(String, String, LonLat)> {
    GEONAMES_ID_PLACES_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut f = line.rsplitn(4, ',');
            let code = f.next().unwrap().to_owned();
            let lng: f64 = f.next().unwrap().parse().unwrap();
            let lat: f64 = f.next().unwrap().parse().unwrap();
            let name = f.next().unwrap().trim_matches('"').to_owned();
            (name, code, LonLat::new(lng, lat).unwrap())
        })
        .collect()
}

fn place(name: &str, code: &str) -> LonLat {
    let found: Vec<LonLat> = file_places()
        .into_iter()
        .filter(|(n, c, _)| n == name && c == code)
        .map(|(_, _, p)| p)
        .collect();
    assert_eq!(found.len(), 1, "{name} ({code}) is once in the file");
    found[0]
}

fn km(hit: &GeocodeHit, p: LonLat) -> f64 {
    haversine_m(hit.position(), p) / 1000.0
}

#[track_caller]
fn assert_place(address: &str, name: &str, code: &str) -> GeocodeHit {
    let hit = geocode(address).unwrap_or_else(|| panic!("{address}: nothing found"));
    assert_eq!(hit.precision, Precision::Place, "{address}: {hit:?}");
    assert!(km(&hit, place(name, code)) < 0.001, "{address}: {hit:?}");
    hit
}

#[test]
fn a_street_address_lands_on_its_city() {
    let hit = geocode("Jl. Asia Afrika No. 8, Bandung, Jawa Barat").unwrap();
    assert_eq!(hit.precision, Precision::Place);
    assert_eq!(hit.matched_name, "Bandung, Jawa Barat");
    assert!(km(&hit, place("Bandung", "30")) < 3.0, "{hit:?}");
    assert!(!hit.ambiguous);
    // Without commas, and in capitals, with a postcode and the country.
    assert_place(
        "JL ASIA AFRIKA 8 BANDUNG JAWA BARAT 40111 INDONESIA",
        "Bandung",
        "30",
    );
    // A street named after a city does not move the account there.
    assert_place("Jl. Malang No. 12, Kota Surabaya", "Surabaya", "08");
}

#[test]
fn a_name_shared_by_several_places_is_resolved_by_the_province() {
    // Bandung is a place in East Java too; alone, the capital of West Java wins.
    assert_place("Bandung", "Bandung", "30");
    assert_place("Desa Bandung, Jawa Timur", "Bandung", "08");
    assert_place("Ketapang, Kalimantan Barat", "Ketapang", "11");
    assert_place("Ketapang, Lampung", "Ketapang", "15");
    assert_place("Kab. Ketapang, Kalbar", "Ketapang", "11");
    // Three places and no province: one is picked by a fixed rule, and said to be a guess.
    let a = geocode("Ketapang").unwrap();
    assert!(a.ambiguous && a.precision == Precision::Place);
    assert_eq!(geocode("Ketapang"), Some(a));
    // A city (kota) wins over a village of the same name.
    assert_place("Depok", "Depok", "30");
    assert_place("Depok, Sleman, DIY", "Depok", "10");
}

#[test]
fn a_province_alone_gives_its_capital_at_province_precision() {
    for (address, name, capital, code) in [
        ("Jawa Tengah", "Jawa Tengah", "Semarang", "07"),
        ("Prov. Jabar", "Jawa Barat", "Bandung", "30"),
        ("West Java, Indonesia", "Jawa Barat", "Bandung", "30"),
        ("Sulsel", "Sulawesi Selatan", "Makassar", "38"),
        (
            "Provinsi Kepulauan Riau",
            "Kepulauan Riau",
            "Tanjung Pinang",
            "40",
        ),
        ("Riau", "Riau", "Pekanbaru", "37"),
        ("Papua Barat Daya", "Papua Barat Daya", "Sorong", "PD"),
        ("DKI Jakarta", "DKI Jakarta", "Jakarta", "04"),
    ] {
        let hit = geocode(address).unwrap_or_else(|| panic!("{address}"));
        assert_eq!(hit.precision, Precision::Province, "{address}: {hit:?}");
        assert_eq!(hit.matched_name, name, "{address}");
        assert!(km(&hit, place(capital, code)) < 0.001, "{address}");
    }
    // A place that is not in the named province: the province is what is known.
    let hit = geocode("Malang, Jawa Barat").unwrap();
    assert_eq!(
        (hit.precision, hit.matched_name.as_str()),
        (Precision::Province, "Jawa Barat")
    );
}

#[test]
fn a_more_specific_place_near_the_city_wins() {
    // Sleman lies next to Yogyakarta; Ubud is the only place named in its address.
    assert_place("Sleman, Yogyakarta", "Sleman", "10");
    assert_place("Ubud, Bali", "Ubud", "02");
    // A district named like a far-away place (Kediri) is not taken: the city is.
    assert_place("Kec. Tuban, Kota Denpasar, Bali", "Tuban", "02");
    assert_place("Kec. Kediri, Kota Surabaya", "Surabaya", "08");
}

#[test]
fn indonesian_spellings_and_forms_are_understood() {
    assert_place("Soerabaja", "Surabaya", "08");
    assert_place("Djakarta", "Jakarta", "04");
    assert_place("Tjirebon, Djawa Barat", "Cirebon", "30");
    assert_place("Bandoeng", "Bandung", "30");
    assert_place("Jogja", "Yogyakarta", "10");
    assert_place("Kota Solo", "Surakarta", "07");
    assert_place("Ujung Pandang", "Makassar", "38");
    assert_place("Kota Tanjungpinang, Kepri", "Tanjung Pinang", "40");
    assert_place("Toli Toli, Sulteng", "Toli-Toli", "21");
    assert_place("Kota Jambi", "Jambi City", "05");
    assert_place("Cirebón", "Cirebon", "30");
    // Batam is in the Riau Islands, though the file codes it as Riau.
    assert_place("Batam, Kepulauan Riau", "Batam", "37");
}

#[test]
fn text_naming_no_place_gives_nothing() {
    for address in [
        "",
        "   ",
        "asdf qwerty zxcv",
        "12345",
        "Jl. Merdeka No. 1",
        "Jalan Bandung",
        "Kota, Kabupaten, Kecamatan",
        "Sulawesi",
    ] {
        assert_eq!(geocode(address), None, "{address:?}");
    }
}

#[test]
fn every_place_is_found_by_its_name_and_province() {
    let provinces = [
        ("01", "Aceh"),
        ("02", "Bali"),
        ("03", "Bengkulu"),
        ("04", "DKI Jakarta"),
        ("05", "Jambi"),
        ("07", "Jawa Tengah"),
        ("08", "Jawa Timur"),
        ("10", "DI Yogyakarta"),
        ("11", "Kalimantan Barat"),
        ("12", "Kalimantan Selatan"),
        ("13", "Kalimantan Tengah"),
        ("14", "Kalimantan Timur"),
        ("15", "Lampung"),
        ("17", "Nusa Tenggara Barat"),
        ("18", "Nusa Tenggara Timur"),
        ("21", "Sulawesi Tengah"),
        ("22", "Sulawesi Tenggara"),
        ("24", "Sumatera Barat"),
        ("26", "Sumatera Utara"),
        ("28", "Maluku"),
        ("29", "Maluku Utara"),
        ("30", "Jawa Barat"),
        ("31", "Sulawesi Utara"),
        ("32", "Sumatera Selatan"),
        ("33", "Banten"),
        ("34", "Gorontalo"),
        ("35", "Kepulauan Bangka Belitung"),
        ("36", "Papua"),
        ("37", "Riau"),
        ("38", "Sulawesi Selatan"),
        ("39", "Papua Barat"),
        ("40", "Kepulauan Riau"),
        ("41", "Sulawesi Barat"),
        ("42", "Kalimantan Utara"),
        ("PD", "Papua Barat Daya"),
        ("PE", "Papua Pegunungan"),
        ("PS", "Papua Selatan"),
        ("PT", "Papua Tengah"),
    ];
    let places = file_places();
    // The file spells some names two ways in one province ("Rantauprapat", "Rantau Prapat"):
    // either is right.
    let key = |n: &str| -> String {
        n.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let keys: Vec<String> = places.iter().map(|(n, _, _)| key(n)).collect();
    let mut missed = Vec::new();
    for (name, code, position) in &places {
        // A name holding a comma ("Laikit, Laikit II (Dimembe)") reads as two address parts.
        if name.contains(',') {
            continue;
        }
        // Batam is in the Riau Islands (the file has the province it had before 2002).
        let code = if name == "Batam" { "40" } else { code };
        let Some(&(_, province)) = provinces.iter().find(|(c, _)| *c == code) else {
            continue;
        };
        let address = format!("Jl. Pahlawan No. 3, {name}, {province}");
        let hit = geocode(&address);
        let want = key(name);
        // Where two places of one name lie in one province, either is right.
        let right = hit.as_ref().is_some_and(|h| {
            h.precision == Precision::Place
                && places
                    .iter()
                    .zip(&keys)
                    .any(|((_, _, p), k)| *k == want && haversine_m(h.position(), *p) < 1.0)
                && h.matched_name.ends_with(province)
        });
        if !right {
            missed.push((address, hit, *position));
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {} places missed: {:#?}",
        missed.len(),
        places.len(),
        &missed[..missed.len().min(10)]
    );
}
