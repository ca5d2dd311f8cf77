//! Profitability per customer with a geographic cost to serve: revenue and cost of goods from
//! orders; each visit's time on site plus its share of the travel from the technician's base;
//! case handling; campaign contacts; and acquisition cost (campaign and visit costs on or
//! before the first order). The result is a waterfall in integer minor units.
//!
//! Rounding: each visit's on-site cost, each trip's (or solo visit's) travel cost and each case's
//! cost is computed in floating point and rounded to the nearest minor unit (halves away from
//! zero) once; a trip's rounded cost is split between its stops by largest remainder, so the
//! shares add up to it exactly. Everything after that is integer addition.

use crate::LonLat;
use crate::spatial::sphere::haversine_m;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CostRates {
    /// Technician time, on site and travelling.
    pub technician_per_hour_minor: i64,
    /// Vehicle cost per kilometre travelled.
    pub per_km_minor: i64,
    /// Case handling time.
    pub case_per_hour_minor: i64,
}

/// Distance and duration of a leg between two places.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leg {
    pub metres: f64,
    pub seconds: f64,
}

/// Where travel distances and times come from: great circle at an average speed here; a road
/// router (OSRM) can implement it in the server.
pub trait TravelModel {
    fn leg(&self, from: LonLat, to: LonLat) -> Leg;
}

/// Great-circle distance at an average speed.
#[derive(Debug, Clone, Copy)]
pub struct GreatCircle {
    pub speed_kmh: f64,
}

impl TravelModel for GreatCircle {
    fn leg(&self, from: LonLat, to: LonLat) -> Leg {
        let metres = haversine_m(from, to);
        Leg {
            metres,
            seconds: metres / (self.speed_kmh / 3.6),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTotals {
    pub customer: i64,
    pub day: NaiveDate,
    pub revenue_minor: i64,
    pub cost_of_goods_minor: i64,
}

/// A stop on a technician's trip: the trip leaves the base, visits the stops by `sequence` and returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripStop {
    pub trip: i64,
    pub sequence: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub customer: i64,
    pub day: NaiveDate,
    /// The technician's base the visit starts from.
    pub base: LonLat,
    pub site: LonLat,
    pub minutes_on_site: u32,
    /// `None`: a trip of its own (there and back).
    pub trip: Option<TripStop>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub customer: i64,
    pub day: NaiveDate,
    pub handling_minutes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignContact {
    pub customer: i64,
    pub day: NaiveDate,
    pub cost_minor: i64,
}

/// The customer's activity: `orders` over all time (the first order separates acquisition from
/// serving), the other records as known.
#[derive(Debug, Clone, Default)]
pub struct Activity<'a> {
    pub orders: &'a [OrderTotals],
    pub visits: &'a [Visit],
    pub cases: &'a [Case],
    pub contacts: &'a [CampaignContact],
}

/// From revenue to profit, minor units: `gross_margin = revenue − cost_of_goods`, `profit =
/// gross_margin − visit_cost − case_cost − campaign_cost − acquisition_cost`. Visit and campaign
/// costs on or before the first order (or with no order yet) count as acquisition, not serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Waterfall {
    pub customer: i64,
    pub revenue_minor: i64,
    pub cost_of_goods_minor: i64,
    pub gross_margin_minor: i64,
    pub visit_cost_minor: i64,
    pub case_cost_minor: i64,
    pub campaign_cost_minor: i64,
    pub acquisition_cost_minor: i64,
    pub profit_minor: i64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfitabilityError {
    #[error("cost rate {0} must not be negative")]
    NegativeRate(&'static str),
    #[error("trip {trip} has stops starting from different bases")]
    MixedTripBase { trip: i64 },
}

/// Waterfalls of every customer with activity in `from..=to`, by customer id.
pub fn waterfalls(
    activity: &Activity,
    from: NaiveDate,
    to: NaiveDate,
    rates: &CostRates,
    travel: &impl TravelModel,
) -> Result<Vec<Waterfall>, ProfitabilityError> {
    for (name, v) in [
        ("technician_per_hour_minor", rates.technician_per_hour_minor),
        ("per_km_minor", rates.per_km_minor),
        ("case_per_hour_minor", rates.case_per_hour_minor),
    ] {
        if v < 0 {
            return Err(ProfitabilityError::NegativeRate(name));
        }
    }
    let in_period = |d: NaiveDate| from <= d && d <= to;
    let mut first_order: HashMap<i64, NaiveDate> = HashMap::new();
    for o in activity.orders {
        let e = first_order.entry(o.customer).or_insert(o.day);
        *e = (*e).min(o.day);
    }
    let acquisition =
        |customer: i64, day: NaiveDate| first_order.get(&customer).is_none_or(|&f| day <= f);
    let mut out: BTreeMap<i64, Waterfall> = BTreeMap::new();
    for o in activity.orders.iter().filter(|o| in_period(o.day)) {
        let w = row(&mut out, o.customer);
        w.revenue_minor += o.revenue_minor;
        w.cost_of_goods_minor += o.cost_of_goods_minor;
    }
    let visit_costs = visit_costs(activity.visits, rates, travel)?;
    for (v, cost) in activity.visits.iter().zip(visit_costs) {
        if in_period(v.day) {
            let w = row(&mut out, v.customer);
            if acquisition(v.customer, v.day) {
                w.acquisition_cost_minor += cost;
            } else {
                w.visit_cost_minor += cost;
            }
        }
    }
    for c in activity.cases.iter().filter(|c| in_period(c.day)) {
        row(&mut out, c.customer).case_cost_minor +=
            round(c.handling_minutes as f64 / 60.0 * rates.case_per_hour_minor as f64);
    }
    for c in activity.contacts.iter().filter(|c| in_period(c.day)) {
        let acquiring = acquisition(c.customer, c.day);
        let w = row(&mut out, c.customer);
        if acquiring {
            w.acquisition_cost_minor += c.cost_minor;
        } else {
            w.campaign_cost_minor += c.cost_minor;
        }
    }
    Ok(out
        .into_values()
        .map(|mut w| {
            w.gross_margin_minor = w.revenue_minor - w.cost_of_goods_minor;
            w.profit_minor = w.gross_margin_minor
                - w.visit_cost_minor
                - w.case_cost_minor
                - w.campaign_cost_minor
                - w.acquisition_cost_minor;
            w
        })
        .collect())
}

fn row(out: &mut BTreeMap<i64, Waterfall>, customer: i64) -> &mut Waterfall {
    out.entry(customer).or_insert(Waterfall {
        customer,
        ..Waterfall::default()
    })
}

/// Cost of each visit (same order as `visits`): time on site plus its travel share. A solo visit
/// pays its way there and back. A trip's tour (base → stops by sequence → base) is shared in
/// proportion to what each stop would have cost as a trip of its own, so a far stop pays more
/// than a near one and the shares add up to the tour.
pub fn visit_costs(
    visits: &[Visit],
    rates: &CostRates,
    travel: &impl TravelModel,
) -> Result<Vec<i64>, ProfitabilityError> {
    let leg_cost = |leg: Leg| {
        leg.metres / 1000.0 * rates.per_km_minor as f64
            + leg.seconds / 3600.0 * rates.technician_per_hour_minor as f64
    };
    let round_trip =
        |v: &Visit| leg_cost(travel.leg(v.base, v.site)) + leg_cost(travel.leg(v.site, v.base));
    let mut costs: Vec<i64> = visits
        .iter()
        .map(|v| round(v.minutes_on_site as f64 / 60.0 * rates.technician_per_hour_minor as f64))
        .collect();
    let mut trips: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, v) in visits.iter().enumerate() {
        match v.trip {
            None => costs[i] += round(round_trip(v)),
            Some(stop) => trips.entry(stop.trip).or_default().push(i),
        }
    }
    for (trip, mut stops) in trips {
        stops.sort_by_key(|&i| (visits[i].trip.map(|s| s.sequence), i));
        let base = visits[stops[0]].base;
        if stops.iter().any(|&i| visits[i].base != base) {
            return Err(ProfitabilityError::MixedTripBase { trip });
        }
        let mut tour = 0.0;
        let mut at = base;
        for &i in &stops {
            tour += leg_cost(travel.leg(at, visits[i].site));
            at = visits[i].site;
        }
        tour += leg_cost(travel.leg(at, base));
        let weights: Vec<f64> = stops.iter().map(|&i| round_trip(&visits[i])).collect();
        for (k, share) in split_largest_remainder(round(tour), &weights)
            .into_iter()
            .enumerate()
        {
            costs[stops[k]] += share;
        }
    }
    Ok(costs)
}

/// Splits `total` (≥ 0) in proportion to `weights` (equally when they are all zero) so that the
/// integer shares add up to `total`: floors first, then one unit each to the largest remainders
/// (ties to the earlier stop).
fn split_largest_remainder(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = if sum > 0.0 {
        weights.iter().map(|w| total as f64 * w / sum).collect()
    } else {
        vec![total as f64 / weights.len() as f64; weights.len()]
    };
    let mut shares: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let missing = total - shares.iter().sum::<i64>();
    for &i in order.iter().cycle().take(missing.max(0) as usize) {
        shares[i] += 1;
    }
    shares
}

/// Nearest minor unit, halves away from zero.
fn round(v: f64) -> i64 {
    v.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(lon: f64) -> LonLat {
        LonLat::new(lon, 0.0).unwrap()
    }

    /// One degree of the equator on the sphere of radius 6,371,008.8 m: 2π R / 360.
    const DEGREE_KM: f64 = 111.195_079_7;

    #[test]
    fn hand_built_account() {
        let rates = CostRates {
            technician_per_hour_minor: 60_000,
            per_km_minor: 2_000,
            case_per_hour_minor: 40_000,
        };
        // 40 km/h: each km costs 2,000 for the vehicle and 1.5 minutes (1,500) of technician time.
        let travel = GreatCircle { speed_kmh: 40.0 };
        let base = at(0.0);
        let (a, b) = (1, 2);
        let visit = |customer, d, lon, minutes, trip| Visit {
            customer,
            day: day(d),
            base,
            site: at(lon),
            minutes_on_site: minutes,
            trip,
        };
        let visits = [
            // Before A's first order: acquisition. 2° there and back, 15 minutes on site.
            visit(a, "2024-01-03", 1.0, 15, None),
            // One trip: base → A (1°) → B (2°) → base: 4° of travel, shared 2:4 (their own round trips).
            visit(
                b,
                "2024-02-15",
                2.0,
                30,
                Some(TripStop {
                    trip: 7,
                    sequence: 2,
                }),
            ),
            visit(
                a,
                "2024-02-15",
                1.0,
                60,
                Some(TripStop {
                    trip: 7,
                    sequence: 1,
                }),
            ),
        ];
        let orders = [
            OrderTotals {
                customer: a,
                day: day("2024-01-10"),
                revenue_minor: 5_000_000,
                cost_of_goods_minor: 3_000_000,
            },
            OrderTotals {
                customer: a,
                day: day("2024-02-01"),
                revenue_minor: 2_000_000,
                cost_of_goods_minor: 1_200_000,
            },
            OrderTotals {
                customer: a,
                day: day("2024-04-02"),
                revenue_minor: 9_999_999,
                cost_of_goods_minor: 0,
            }, // after the period
        ];
        let cases = [Case {
            customer: a,
            day: day("2024-02-05"),
            handling_minutes: 90,
        }];
        let contacts = [
            CampaignContact {
                customer: a,
                day: day("2024-01-05"),
                cost_minor: 5_000,
            }, // acquisition
            CampaignContact {
                customer: a,
                day: day("2024-02-10"),
                cost_minor: 5_000,
            },
        ];
        let activity = Activity {
            orders: &orders,
            visits: &visits,
            cases: &cases,
            contacts: &contacts,
        };
        let w = waterfalls(
            &activity,
            day("2024-01-01"),
            day("2024-03-31"),
            &rates,
            &travel,
        )
        .unwrap();

        // By hand: travel costs 3,500 a km. Solo visit: 2° = 222.390 km → 778,365.6 → 778,366,
        // plus 15 min = 15,000. Trip: 4° = 444.780 km → 1,556,731.1 → 1,556,731, split 1:2 →
        // 518,910.33 and 1,037,820.67 → 518,910 and 1,037,821. A on site 60,000, B 30,000.
        assert!((4.0 * DEGREE_KM * 3_500.0 - 1_556_731.1).abs() < 0.1);
        let expected_a = Waterfall {
            customer: a,
            revenue_minor: 7_000_000,
            cost_of_goods_minor: 4_200_000,
            gross_margin_minor: 2_800_000,
            visit_cost_minor: 60_000 + 518_910,
            case_cost_minor: 60_000,
            campaign_cost_minor: 5_000,
            acquisition_cost_minor: 778_366 + 15_000 + 5_000,
            profit_minor: 2_800_000 - 578_910 - 60_000 - 5_000 - 798_366,
        };
        // B never ordered: everything spent on B is acquisition, and B is a loss.
        let expected_b = Waterfall {
            customer: b,
            acquisition_cost_minor: 30_000 + 1_037_821,
            profit_minor: -1_067_821,
            ..Waterfall::default()
        };
        assert_eq!(w, [expected_a, expected_b]);
        assert_eq!(expected_a.profit_minor, 1_357_724);
    }

    #[test]
    fn trip_shares_add_up_and_bad_input_is_named() {
        assert_eq!(split_largest_remainder(10, &[1.0, 1.0, 1.0]), [4, 3, 3]);
        assert_eq!(split_largest_remainder(7, &[0.0, 0.0]), [4, 3]);
        assert_eq!(split_largest_remainder(100, &[1.0, 3.0]), [25, 75]);
        let rates = CostRates {
            technician_per_hour_minor: 1,
            per_km_minor: -1,
            case_per_hour_minor: 0,
        };
        let err = waterfalls(
            &Activity::default(),
            day("2024-01-01"),
            day("2024-01-31"),
            &rates,
            &GreatCircle { speed_kmh: 30.0 },
        );
        assert_eq!(
            err.unwrap_err(),
            ProfitabilityError::NegativeRate("per_km_minor")
        );
        let stop = |sequence| Some(TripStop { trip: 3, sequence });
        let visits = [
            Visit {
                customer: 1,
                day: day("2024-01-02"),
                base: at(0.0),
                site: at(1.0),
                minutes_on_site: 0,
                trip: stop(1),
            },
            Visit {
                customer: 2,
                day: day("2024-01-02"),
                base: at(5.0),
                site: at(1.0),
                minutes_on_site: 0,
                trip: stop(2),
            },
        ];
        let rates = CostRates {
            per_km_minor: 1,
            ..rates
        };
        let err = visit_costs(&visits, &rates, &GreatCircle { speed_kmh: 30.0 }).unwrap_err();
        assert_eq!(err, ProfitabilityError::MixedTripBase { trip: 3 });
    }
}
