//! Indonesia's 38 provinces as GeoNames codes them (admin1), with their official names, the
//! short forms and English names people write, the capital (a province's position) and the
//! other cities with city (kota) status, which win a tie between places of one name. Written
//! for this project from the provinces' official names; the capital and cities must be in the
//! gazetteer file (a test checks).

pub(super) struct ProvinceSpec {
    /// The GeoNames admin1 code, as in the gazetteer file.
    pub code: &'static str,
    pub name: &'static str,
    /// Other ways to write the name; compared after folding (case, punctuation, spaces).
    pub aliases: &'static [&'static str],
    pub capital: &'static str,
    pub cities: &'static [&'static str],
}

const fn p(
    code: &'static str,
    name: &'static str,
    aliases: &'static [&'static str],
    capital: &'static str,
    cities: &'static [&'static str],
) -> ProvinceSpec {
    ProvinceSpec {
        code,
        name,
        aliases,
        capital,
        cities,
    }
}

pub(super) const PROVINCES: &[ProvinceSpec] = &[
    p(
        "01",
        "Aceh",
        &["Nanggroe Aceh Darussalam", "NAD", "DI Aceh"],
        "Banda Aceh",
        &["Sabang", "Langsa", "Lhokseumawe", "Subulussalam"],
    ),
    p("02", "Bali", &[], "Denpasar", &[]),
    p("03", "Bengkulu", &[], "Bengkulu", &[]),
    p(
        "04",
        "DKI Jakarta",
        &[
            "Jakarta",
            "Daerah Khusus Ibukota Jakarta",
            "Daerah Khusus Jakarta",
            "DKJ",
            "Jakarta Raya",
        ],
        "Jakarta",
        &[],
    ),
    p("05", "Jambi", &[], "Jambi City", &["Sungai Penuh"]),
    p(
        "07",
        "Jawa Tengah",
        &["Jateng", "Central Java", "Java Tengah"],
        "Semarang",
        &["Magelang", "Pekalongan", "Salatiga", "Surakarta", "Tegal"],
    ),
    p(
        "08",
        "Jawa Timur",
        &["Jatim", "East Java", "Java Timur"],
        "Surabaya",
        &[
            "Batu",
            "Blitar",
            "Kediri",
            "Madiun",
            "Malang",
            "Mojokerto",
            "Pasuruan",
            "Probolinggo",
        ],
    ),
    p(
        "10",
        "DI Yogyakarta",
        &[
            "Daerah Istimewa Yogyakarta",
            "DIY",
            "Yogyakarta",
            "Jogjakarta",
            "Jogja",
            "Yogya",
        ],
        "Yogyakarta",
        &[],
    ),
    p(
        "11",
        "Kalimantan Barat",
        &["Kalbar", "West Kalimantan"],
        "Pontianak",
        &["Singkawang"],
    ),
    p(
        "12",
        "Kalimantan Selatan",
        &["Kalsel", "South Kalimantan"],
        "Banjarbaru",
        &["Banjarmasin"],
    ),
    p(
        "13",
        "Kalimantan Tengah",
        &["Kalteng", "Central Kalimantan"],
        "Palangkaraya",
        &[],
    ),
    p(
        "14",
        "Kalimantan Timur",
        &["Kaltim", "East Kalimantan"],
        "Samarinda",
        &["Balikpapan", "Bontang"],
    ),
    p("15", "Lampung", &[], "Bandar Lampung", &["Metro"]),
    p(
        "17",
        "Nusa Tenggara Barat",
        &["NTB", "West Nusa Tenggara"],
        "Mataram",
        &["Bima"],
    ),
    p(
        "18",
        "Nusa Tenggara Timur",
        &["NTT", "East Nusa Tenggara"],
        "Kupang",
        &[],
    ),
    p(
        "21",
        "Sulawesi Tengah",
        &["Sulteng", "Central Sulawesi"],
        "Palu",
        &[],
    ),
    p(
        "22",
        "Sulawesi Tenggara",
        &["Sultra", "Southeast Sulawesi", "South East Sulawesi"],
        "Kendari",
        &["Baubau"],
    ),
    p(
        "24",
        "Sumatera Barat",
        &["Sumbar", "West Sumatra", "Sumatra Barat"],
        "Padang",
        &[
            "Bukittinggi",
            "Padang Panjang",
            "Pariaman",
            "Payakumbuh",
            "Solok",
        ],
    ),
    p(
        "26",
        "Sumatera Utara",
        &["Sumut", "North Sumatra", "Sumatra Utara"],
        "Medan",
        &[
            "Binjai",
            "Tebing Tinggi",
            "Pematangsiantar",
            "Tanjungbalai",
            "Sibolga",
            "Padangsidempuan",
            "Gunungsitoli",
        ],
    ),
    p("28", "Maluku", &[], "Ambon", &["Tual"]),
    p(
        "29",
        "Maluku Utara",
        &["Malut", "North Maluku"],
        "Sofifi",
        &["Ternate"],
    ),
    p(
        "30",
        "Jawa Barat",
        &["Jabar", "West Java", "Java Barat"],
        "Bandung",
        &[
            "Banjar",
            "Bekasi",
            "Bogor",
            "Cimahi",
            "Cirebon",
            "Depok",
            "Sukabumi",
            "Tasikmalaya",
        ],
    ),
    p(
        "31",
        "Sulawesi Utara",
        &["Sulut", "North Sulawesi"],
        "Manado",
        &["Bitung", "Kotamobagu", "Tomohon"],
    ),
    p(
        "32",
        "Sumatera Selatan",
        &["Sumsel", "South Sumatra", "Sumatra Selatan"],
        "Palembang",
        &["Lubuklinggau", "Pagar Alam", "Prabumulih"],
    ),
    p(
        "33",
        "Banten",
        &[],
        "Serang",
        &["Cilegon", "Tangerang", "South Tangerang"],
    ),
    p("34", "Gorontalo", &[], "Gorontalo", &[]),
    p(
        "35",
        "Kepulauan Bangka Belitung",
        &["Bangka Belitung", "Babel", "Bangka Belitung Islands"],
        "Pangkalpinang",
        &[],
    ),
    p("36", "Papua", &[], "Jayapura", &[]),
    p("37", "Riau", &[], "Pekanbaru", &["Dumai"]),
    p(
        "38",
        "Sulawesi Selatan",
        &["Sulsel", "South Sulawesi"],
        "Makassar",
        &["Palopo", "Parepare"],
    ),
    p(
        "39",
        "Papua Barat",
        &["Pabar", "West Papua"],
        "Manokwari",
        &[],
    ),
    p(
        "40",
        "Kepulauan Riau",
        &["Kepri", "Riau Islands"],
        "Tanjung Pinang",
        &["Batam"],
    ),
    p(
        "41",
        "Sulawesi Barat",
        &["Sulbar", "West Sulawesi"],
        "Mamuju",
        &[],
    ),
    p(
        "42",
        "Kalimantan Utara",
        &["Kaltara", "North Kalimantan"],
        "Tanjung Selor",
        &["Tarakan"],
    ),
    p(
        "PD",
        "Papua Barat Daya",
        &["Southwest Papua", "South West Papua"],
        "Sorong",
        &[],
    ),
    p(
        "PE",
        "Papua Pegunungan",
        &["Highland Papua", "Papua Highlands"],
        "Wamena",
        &[],
    ),
    p("PS", "Papua Selatan", &["South Papua"], "Merauke", &[]),
    p("PT", "Papua Tengah", &["Central Papua"], "Nabire", &[]),
];

/// Other names of places in the file: former names, short forms and old spellings the
/// spelling rules do not reach. (alias, the file's name, its admin1 code).
pub(super) const PLACE_ALIASES: &[(&str, &str, &str)] = &[
    ("Jogja", "Yogyakarta", "10"),
    ("Jogjakarta", "Yogyakarta", "10"),
    ("Yogya", "Yogyakarta", "10"),
    ("Djokjakarta", "Yogyakarta", "10"),
    ("Djogjakarta", "Yogyakarta", "10"),
    ("Solo", "Surakarta", "07"),
    ("Ujung Pandang", "Makassar", "38"),
    ("Batavia", "Jakarta", "04"),
    ("Buitenzorg", "Bogor", "30"),
    ("Palangka Raya", "Palangkaraya", "13"),
    ("Jambi", "Jambi City", "05"),
    ("Tangerang Selatan", "South Tangerang", "33"),
];

/// Places the file puts in the wrong province: (name, the file's code, the right code). Batam
/// is coded as Riau, which it belonged to before the Riau Islands became a province in 2002.
pub(super) const PROVINCE_FIXES: &[(&str, &str, &str)] = &[("Batam", "37", "40")];
