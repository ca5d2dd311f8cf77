//! The map dashboard's view: which accounts are shown (one filter shared by the map, the side list
//! and the KPIs), how points are coloured, where the map looks, and the KPI roll-up per rep and
//! territory. The view round-trips through the page's query string so a manager can share a link.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::account::{AccountQuery, AccountSort};
use crate::domain::{AccountKind, AccountStatus};
use crate::resources::PIPELINE_STAGES;

/// Which accounts the dashboard shows. Every field narrows the set; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardFilter {
    pub kind: Option<AccountKind>,
    pub status: Option<AccountStatus>,
    pub owner_id: Option<i64>,
    pub territory_id: Option<i64>,
    pub segment: Option<String>,
    pub tag: Option<String>,
    /// Accounts with at least one deal at this pipeline stage.
    pub stage: Option<String>,
}

impl DashboardFilter {
    /// The account query this filter stands for, one page of it.
    pub fn to_account_query(&self, limit: u32, offset: u64) -> AccountQuery {
        AccountQuery {
            kind: self.kind,
            status: self.status,
            owner_id: self.owner_id,
            territory_id: self.territory_id,
            segment: self.segment.clone(),
            tag: self.tag.clone(),
            stage: self.stage.clone(),
            search: None,
            ids: None,
            sort: AccountSort::Name,
            limit,
            offset,
        }
    }

    /// True when nothing is filtered.
    pub fn is_empty(&self) -> bool {
        *self == DashboardFilter::default()
    }

    /// The filter as query-string pairs (the map's GeoJSON endpoint takes the same names).
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(kind) = self.kind {
            pairs.push(("kind", kind.as_str().to_owned()));
        }
        if let Some(status) = self.status {
            pairs.push(("status", status.as_str().to_owned()));
        }
        if let Some(owner) = self.owner_id {
            pairs.push(("owner_id", owner.to_string()));
        }
        if let Some(territory) = self.territory_id {
            pairs.push(("territory_id", territory.to_string()));
        }
        for (key, value) in [
            ("segment", &self.segment),
            ("tag", &self.tag),
            ("stage", &self.stage),
        ] {
            if let Some(value) = value {
                pairs.push((key, value.clone()));
            }
        }
        pairs
    }
}

/// What the account points are coloured by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColourBy {
    #[default]
    Kind,
    Status,
    Owner,
}

impl ColourBy {
    pub const ALL: [ColourBy; 3] = [ColourBy::Kind, ColourBy::Status, ColourBy::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            ColourBy::Kind => "kind",
            ColourBy::Status => "status",
            ColourBy::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// What the territories are filled with on the map: their rep's colour, or a figure of the
/// caller's customers in them in quantile classes (for those who may read analytics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TerritoryShade {
    #[default]
    Rep,
    Revenue,
    Profit,
    Clv,
    Churn,
}

impl TerritoryShade {
    pub const ALL: [TerritoryShade; 5] = [
        TerritoryShade::Rep,
        TerritoryShade::Revenue,
        TerritoryShade::Profit,
        TerritoryShade::Clv,
        TerritoryShade::Churn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TerritoryShade::Rep => "rep",
            TerritoryShade::Revenue => "revenue",
            TerritoryShade::Profit => "profit",
            TerritoryShade::Clv => "clv",
            TerritoryShade::Churn => "churn",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The metric of `GET /analytics/territories`, unless the rep's colour fills.
    pub fn metric(self) -> Option<&'static str> {
        (self != TerritoryShade::Rep).then(|| self.as_str())
    }
}

/// Where the map looks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    pub lon: f64,
    pub lat: f64,
    pub zoom: f64,
}

impl Camera {
    /// A camera only when all three numbers are on the map (a hand-edited link may not be).
    pub fn new(lon: f64, lat: f64, zoom: f64) -> Option<Self> {
        ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat))
            .then_some(())
            .filter(|_| (0.0..=22.0).contains(&zoom))
            .map(|_| Camera { lon, lat, zoom })
    }
}

/// Everything a dashboard link carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub filter: DashboardFilter,
    pub colour_by: ColourBy,
    pub shade: TerritoryShade,
    /// `None` leaves the deployment's default view.
    pub camera: Option<Camera>,
}

impl DashboardView {
    /// The view as a query string without the `?` (empty for the default view). Coordinates are
    /// rounded to about a metre and zoom to a hundredth, so links stay short.
    pub fn to_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.filter.query_pairs() {
            out.append_pair(key, &value);
        }
        if self.colour_by != ColourBy::default() {
            out.append_pair("colour", self.colour_by.as_str());
        }
        if self.shade != TerritoryShade::default() {
            out.append_pair("shade", self.shade.as_str());
        }
        if let Some(camera) = self.camera {
            out.append_pair("lon", &format!("{:.5}", camera.lon));
            out.append_pair("lat", &format!("{:.5}", camera.lat));
            out.append_pair("z", &format!("{:.2}", camera.zoom));
        }
        out.finish()
    }

    /// Reads a view from a query string (with or without the `?`). A shared link may be old or
    /// hand-edited, so values that do not parse are dropped rather than refused.
    pub fn from_query(query: &str) -> Self {
        let mut view = DashboardView::default();
        let (mut lon, mut lat, mut zoom) = (None, None, None);
        let nonblank = |value: &str| {
            let value = value.trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            let filter = &mut view.filter;
            match key.as_ref() {
                "kind" => filter.kind = value.parse().ok(),
                "status" => filter.status = value.parse().ok(),
                "owner_id" => filter.owner_id = value.parse().ok(),
                "territory_id" => filter.territory_id = value.parse().ok(),
                "segment" => filter.segment = nonblank(&value),
                "tag" => filter.tag = nonblank(&value),
                "stage" => {
                    filter.stage = PIPELINE_STAGES
                        .contains(&value.as_ref())
                        .then(|| value.to_string())
                }
                "colour" => view.colour_by = ColourBy::parse(&value).unwrap_or_default(),
                "shade" => view.shade = TerritoryShade::parse(&value).unwrap_or_default(),
                "lon" => lon = value.parse::<f64>().ok(),
                "lat" => lat = value.parse::<f64>().ok(),
                "z" => zoom = value.parse::<f64>().ok(),
                _ => {}
            }
        }
        if let (Some(lon), Some(lat), Some(zoom)) = (lon, lat, zoom) {
            view.camera = Camera::new(lon, lat, zoom);
        }
        view
    }
}

/// How far "nearby" reaches: the `k` nearest, or everything within a radius.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NearbySearch {
    Nearest { k: u32 },
    Within { metres: f64 },
}

impl NearbySearch {
    pub const MAX_K: u32 = 50;
    pub const MAX_RADIUS_M: f64 = 200_000.0;
    /// A radius search stops after this many hits (nearest first), so a wide circle over a dense
    /// city cannot flood the panel.
    pub const MAX_HITS: usize = 200;

    /// The search with its numbers brought into range (a `k` of 0 asks for one, and so on).
    pub fn clamped(self) -> Self {
        match self {
            NearbySearch::Nearest { k } => NearbySearch::Nearest {
                k: k.clamp(1, Self::MAX_K),
            },
            NearbySearch::Within { metres } => NearbySearch::Within {
                metres: if metres.is_finite() {
                    metres.clamp(1.0, Self::MAX_RADIUS_M)
                } else {
                    Self::MAX_RADIUS_M
                },
            },
        }
    }
}

/// Something the filter menus offer by name but filter by id (a rep, a territory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// The choices of the filter menus that come from the data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterOptions {
    pub reps: Vec<Named>,
    /// Field technicians, for "add to today's route".
    pub technicians: Vec<Named>,
    pub territories: Vec<Named>,
    pub segments: Vec<String>,
    pub tags: Vec<String>,
}

/// One account's share of the KPIs, as the store reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiInput {
    pub kind: AccountKind,
    pub owner_id: Option<i64>,
    pub territory_id: Option<i64>,
    pub currency: String,
    pub revenue_minor: i64,
    /// Open deals (not won or lost) in the account's currency.
    pub pipeline_minor: i64,
    pub open_cases: i64,
    /// Visits in the KPI period (today), and how many of them are done.
    pub visits_planned: i64,
    pub visits_done: i64,
}

/// The figures a manager compares across reps and territories.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    pub customers: i64,
    pub prospects: i64,
    /// Revenue to date and open pipeline, per currency (minor units), so currencies never mix.
    pub revenue: BTreeMap<String, i64>,
    pub pipeline: BTreeMap<String, i64>,
    pub open_cases: i64,
    pub visits_planned: i64,
    pub visits_done: i64,
}

impl Kpis {
    fn add(&mut self, input: &KpiInput) {
        match input.kind {
            AccountKind::Customer => self.customers += 1,
            AccountKind::Prospect => self.prospects += 1,
        }
        *self.revenue.entry(input.currency.clone()).or_default() += input.revenue_minor;
        *self.pipeline.entry(input.currency.clone()).or_default() += input.pipeline_minor;
        self.open_cases += input.open_cases;
        self.visits_planned += input.visits_planned;
        self.visits_done += input.visits_done;
    }
}

/// KPIs of one rep or territory; `id` is `None` for accounts with no rep / in no territory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiRow {
    pub id: Option<i64>,
    pub name: String,
    pub kpis: Kpis,
}

/// The KPI panel: the whole filtered set, then per rep and per territory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardKpis {
    pub total: Kpis,
    pub by_rep: Vec<KpiRow>,
    pub by_territory: Vec<KpiRow>,
}

/// Sums the inputs per group key; rows in key order with the "none" group last. Groups with no
/// account in the filter do not appear.
pub fn roll_up(
    inputs: &[KpiInput],
    group: impl Fn(&KpiInput) -> Option<i64>,
) -> Vec<(Option<i64>, Kpis)> {
    let mut groups: BTreeMap<(bool, i64), Kpis> = BTreeMap::new();
    for input in inputs {
        let key = match group(input) {
            Some(id) => (false, id),
            None => (true, 0),
        };
        groups.entry(key).or_default().add(input);
    }
    groups
        .into_iter()
        .map(|((none, id), kpis)| ((!none).then_some(id), kpis))
        .collect()
}

/// The KPI panel for these inputs; `rep_name` and `territory_name` name the groups (the "none"
/// groups get `unassigned`).
pub fn dashboard_kpis(
    inputs: &[KpiInput],
    rep_name: impl Fn(i64) -> Option<String>,
    territory_name: impl Fn(i64) -> Option<String>,
    unassigned: &str,
) -> DashboardKpis {
    let mut total = Kpis::default();
    for input in inputs {
        total.add(input);
    }
    let named = |rows: Vec<(Option<i64>, Kpis)>, name: &dyn Fn(i64) -> Option<String>| {
        rows.into_iter()
            .map(|(id, kpis)| KpiRow {
                id,
                name: id
                    .map(|id| name(id).unwrap_or_else(|| format!("#{id}")))
                    .unwrap_or_else(|| unassigned.to_owned()),
                kpis,
            })
            .collect()
    };
    DashboardKpis {
        total,
        by_rep: named(roll_up(inputs, |i| i.owner_id), &rep_name),
        by_territory: named(roll_up(inputs, |i| i.territory_id), &territory_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(kind: AccountKind, owner: Option<i64>, territory: Option<i64>) -> KpiInput {
        KpiInput {
            kind,
            owner_id: owner,
            territory_id: territory,
            currency: "IDR".into(),
            revenue_minor: 100,
            pipeline_minor: 10,
            open_cases: 1,
            visits_planned: 2,
            visits_done: 1,
        }
    }

    #[test]
    fn an_empty_view_has_an_empty_query() {
        assert_eq!(DashboardView::default().to_query(), "");
        assert_eq!(DashboardView::from_query(""), DashboardView::default());
    }

    #[test]
    fn a_full_view_round_trips_through_its_query_string() {
        let view = DashboardView {
            filter: DashboardFilter {
                kind: Some(AccountKind::Prospect),
                status: Some(AccountStatus::Qualified),
                owner_id: Some(3),
                territory_id: Some(7),
                segment: Some("toko & warung".into()),
                tag: Some("halal".into()),
                stage: Some("proposal".into()),
            },
            colour_by: ColourBy::Owner,
            shade: TerritoryShade::Churn,
            camera: Camera::new(106.82712, -6.17511, 11.25),
        };
        let query = view.to_query();
        assert!(query.contains("segment=toko+%26+warung"), "{query}");
        assert_eq!(DashboardView::from_query(&query), view);
        assert_eq!(DashboardView::from_query(&format!("?{query}")), view);
    }

    #[test]
    fn bad_values_in_a_link_are_dropped_not_fatal() {
        let view = DashboardView::from_query(
            "kind=vip&status=active&owner_id=x&stage=maybe&colour=rainbow&shade=mood&lon=500&lat=0&z=3",
        );
        assert_eq!(view.filter.kind, None);
        assert_eq!(view.filter.status, Some(AccountStatus::Active));
        assert_eq!(view.filter.owner_id, None);
        assert_eq!(view.filter.stage, None);
        assert_eq!(view.colour_by, ColourBy::Kind);
        assert_eq!(view.shade, TerritoryShade::Rep);
        assert_eq!(view.camera, None, "longitude 500 is off the map");
    }

    #[test]
    fn roll_up_groups_by_key_with_the_unassigned_last() {
        let inputs = [
            input(AccountKind::Customer, Some(2), Some(1)),
            input(AccountKind::Prospect, None, Some(1)),
            input(AccountKind::Customer, Some(1), None),
            input(AccountKind::Prospect, Some(2), Some(9)),
        ];
        let kpis = dashboard_kpis(
            &inputs,
            |id| Some(format!("rep {id}")),
            |_| None,
            "unassigned",
        );
        let reps: Vec<(Option<i64>, &str, i64, i64)> = kpis
            .by_rep
            .iter()
            .map(|r| (r.id, r.name.as_str(), r.kpis.customers, r.kpis.prospects))
            .collect();
        assert_eq!(
            reps,
            [
                (Some(1), "rep 1", 1, 0),
                (Some(2), "rep 2", 1, 1),
                (None, "unassigned", 0, 1)
            ]
        );
        assert_eq!(
            kpis.by_territory[0].name, "#1",
            "unknown names fall back to the id"
        );
        assert_eq!(kpis.total.revenue["IDR"], 400);
        assert_eq!(kpis.total.visits_planned, 8);
    }

    fn arb_input() -> impl Strategy<Value = KpiInput> {
        (
            any::<bool>(),
            proptest::option::of(0i64..5),
            proptest::option::of(0i64..4),
            prop_oneof![Just("IDR"), Just("USD")],
            0i64..1_000_000,
            0i64..1_000,
            0i64..3,
            0i64..4,
        )
            .prop_map(
                |(customer, owner, territory, currency, revenue, pipeline, cases, visits)| {
                    KpiInput {
                        kind: if customer {
                            AccountKind::Customer
                        } else {
                            AccountKind::Prospect
                        },
                        owner_id: owner,
                        territory_id: territory,
                        currency: currency.into(),
                        revenue_minor: revenue,
                        pipeline_minor: pipeline,
                        open_cases: cases,
                        visits_planned: visits,
                        visits_done: visits / 2,
                    }
                },
            )
    }

    proptest! {
        /// Every account lands in exactly one rep row and one territory row, so the rows add up to
        /// the total whatever the grouping.
        #[test]
        fn rows_add_up_to_the_total(inputs in proptest::collection::vec(arb_input(), 0..60)) {
            let kpis = dashboard_kpis(&inputs, |_| None, |_| None, "-");
            for rows in [&kpis.by_rep, &kpis.by_territory] {
                let mut sum = Kpis::default();
                for row in rows.iter() {
                    sum.customers += row.kpis.customers;
                    sum.prospects += row.kpis.prospects;
                    sum.open_cases += row.kpis.open_cases;
                    sum.visits_planned += row.kpis.visits_planned;
                    sum.visits_done += row.kpis.visits_done;
                    for (currency, minor) in &row.kpis.revenue {
                        *sum.revenue.entry(currency.clone()).or_default() += minor;
                    }
                    for (currency, minor) in &row.kpis.pipeline {
                        *sum.pipeline.entry(currency.clone()).or_default() += minor;
                    }
                }
                prop_assert_eq!(&sum, &kpis.total);
            }
            prop_assert_eq!(kpis.total.customers + kpis.total.prospects, inputs.len() as i64);
        }
    }
}
