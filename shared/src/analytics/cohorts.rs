//! Cohorts and customer movement by calendar month: retention by acquisition month; customers
//! gained, lost and won back per month; revenue by month per group; change against the
//! previous period. Months are given by their first day.

use super::summary::Purchase;
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("day 1 exists")
}

fn months_between(from: NaiveDate, to: NaiveDate) -> usize {
    ((to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32).max(0) as usize
}

/// Customers acquired in `month` (first purchase) and how many of them bought in each month
/// since: `active[k]` in month `month + k`, up to the month of `through`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cohort {
    pub month: NaiveDate,
    pub customers: usize,
    pub active: Vec<usize>,
}

impl Cohort {
    /// Share of the cohort buying in month `k` after acquisition.
    pub fn retention(&self, k: usize) -> f64 {
        self.active
            .get(k)
            .map_or(0.0, |&a| a as f64 / self.customers as f64)
    }
}

/// Retention by acquisition month over purchases on or before `through`.
pub fn retention(purchases: &[Purchase], through: NaiveDate) -> Vec<Cohort> {
    let months = purchase_months(purchases, through);
    let mut cohorts: BTreeMap<NaiveDate, Cohort> = BTreeMap::new();
    for bought in months.values() {
        let first = *bought.iter().next().expect("not empty");
        let len = months_between(first, month_of(through)) + 1;
        let cohort = cohorts.entry(first).or_insert_with(|| Cohort {
            month: first,
            customers: 0,
            active: vec![0; len],
        });
        cohort.customers += 1;
        for &m in bought {
            cohort.active[months_between(first, m)] += 1;
        }
    }
    cohorts.into_values().collect()
}

/// Months with a purchase, per customer.
fn purchase_months(
    purchases: &[Purchase],
    through: NaiveDate,
) -> BTreeMap<i64, BTreeSet<NaiveDate>> {
    let mut months: BTreeMap<i64, BTreeSet<NaiveDate>> = BTreeMap::new();
    for p in purchases.iter().filter(|p| p.day <= through) {
        months
            .entry(p.customer)
            .or_default()
            .insert(month_of(p.day));
    }
    months
}

/// Movement in one month. A customer is lost on the day `lapse_days` have passed since their
/// last purchase with no new one (a purchase on that very day keeps them), and won back by
/// their next purchase after that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodMovement {
    pub month: NaiveDate,
    /// First purchase in the month.
    pub gained: usize,
    pub lost: usize,
    pub won_back: usize,
    /// Not lost at the end of the month (or on `through`, if earlier).
    pub active_at_end: usize,
    pub revenue_minor: i64,
}

/// Movement per month from the month of `from` to the month of `through`.
pub fn movement(
    purchases: &[Purchase],
    lapse_days: u32,
    from: NaiveDate,
    through: NaiveDate,
) -> Vec<PeriodMovement> {
    let lapse = chrono::Days::new(lapse_days as u64);
    let mut days: BTreeMap<i64, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut revenue: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for p in purchases.iter().filter(|p| p.day <= through) {
        days.entry(p.customer).or_default().insert(p.day);
        *revenue.entry(month_of(p.day)).or_default() += p.amount_minor;
    }
    // (day, gained, lost, won back)
    let mut events: Vec<(NaiveDate, i64, i64, i64)> = Vec::new();
    for bought in days.values() {
        let mut it = bought.iter().copied();
        let mut last = it.next().expect("not empty");
        events.push((last, 1, 0, 0));
        for next in it {
            if next > last + lapse {
                events.push((last + lapse, 0, 1, 0));
                events.push((next, 0, 0, 1));
            }
            last = next;
        }
        if last + lapse <= through {
            events.push((last + lapse, 0, 1, 0));
        }
    }
    events.sort_unstable();
    let mut out = Vec::new();
    let (mut active, mut e) = (0i64, 0);
    let first_month = month_of(from);
    for k in 0..=months_between(first_month, month_of(through)) {
        let month = first_month + Months::new(k as u32);
        let end = (month + Months::new(1))
            .pred_opt()
            .expect("a day before")
            .min(through);
        let mut row = PeriodMovement {
            month,
            gained: 0,
            lost: 0,
            won_back: 0,
            active_at_end: 0,
            revenue_minor: 0,
        };
        while e < events.len() && events[e].0 <= end {
            let (day, gained, lost, won_back) = events[e];
            active += gained - lost + won_back;
            if day >= month {
                row.gained += gained as usize;
                row.lost += lost as usize;
                row.won_back += won_back as usize;
            }
            e += 1;
        }
        row.active_at_end = active as usize;
        row.revenue_minor = revenue.get(&month).copied().unwrap_or(0);
        out.push(row);
    }
    out
}

/// A figure against the previous period's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub current: i64,
    pub previous: i64,
    pub delta: i64,
    /// `delta / previous`; `None` when the previous figure is 0.
    pub ratio: Option<f64>,
}

pub fn change(current: i64, previous: i64) -> Change {
    let delta = current - previous;
    Change {
        current,
        previous,
        delta,
        ratio: (previous != 0).then(|| delta as f64 / previous.abs() as f64),
    }
}

/// Each month against the month before (from the second month on).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MovementChange {
    pub month: NaiveDate,
    pub gained: Change,
    pub lost: Change,
    pub won_back: Change,
    pub active_at_end: Change,
    pub revenue: Change,
}

pub fn month_over_month(rows: &[PeriodMovement]) -> Vec<MovementChange> {
    rows.windows(2)
        .map(|w| {
            let (p, c) = (&w[0], &w[1]);
            let n = |x: usize| x as i64;
            MovementChange {
                month: c.month,
                gained: change(n(c.gained), n(p.gained)),
                lost: change(n(c.lost), n(p.lost)),
                won_back: change(n(c.won_back), n(p.won_back)),
                active_at_end: change(n(c.active_at_end), n(p.active_at_end)),
                revenue: change(c.revenue_minor, p.revenue_minor),
            }
        })
        .collect()
}

/// Revenue of a group (territory, rep, …) in a month, with the change against its previous month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMonth<G> {
    pub group: G,
    pub month: NaiveDate,
    pub revenue: Change,
}

/// Revenue by month for each group (`group_of` maps a customer to its group), every month from
/// the month of `from` to that of `through` listed for each group that has revenue in the range.
pub fn revenue_by_month<G: Ord + Clone>(
    purchases: &[Purchase],
    group_of: impl Fn(i64) -> G,
    from: NaiveDate,
    through: NaiveDate,
) -> Vec<GroupMonth<G>> {
    let first = month_of(from);
    let n = months_between(first, month_of(through)) + 1;
    let mut by_group: BTreeMap<G, Vec<i64>> = BTreeMap::new();
    for p in purchases
        .iter()
        .filter(|p| from <= p.day && p.day <= through)
    {
        by_group
            .entry(group_of(p.customer))
            .or_insert_with(|| vec![0; n])[months_between(first, month_of(p.day))] +=
            p.amount_minor;
    }
    let mut out = Vec::new();
    for (group, months) in by_group {
        for (k, &revenue) in months.iter().enumerate() {
            let previous = if k == 0 { 0 } else { months[k - 1] };
            out.push(GroupMonth {
                group: group.clone(),
                month: first + Months::new(k as u32),
                revenue: change(revenue, previous),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use chrono::Days;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn random_purchases(seed: u64, customers: i64) -> Vec<Purchase> {
        let mut rng = SplitMix64::new(seed);
        let start = day("2023-01-01");
        let mut out = Vec::new();
        for customer in 0..customers {
            let mut d = rng.below(400) as u64;
            for _ in 0..1 + rng.below(6) {
                out.push(Purchase {
                    customer,
                    day: start + Days::new(d),
                    amount_minor: rng.below(500) as i64,
                });
                d += rng.below(150) as u64;
            }
        }
        out
    }

    #[test]
    fn retention_matches_brute_force() {
        let purchases = random_purchases(1, 300);
        let through = day("2024-03-15");
        let cohorts = retention(&purchases, through);
        let customers: BTreeSet<i64> = purchases
            .iter()
            .filter(|p| p.day <= through)
            .map(|p| p.customer)
            .collect();
        assert_eq!(
            cohorts.iter().map(|c| c.customers).sum::<usize>(),
            customers.len()
        );
        for c in &cohorts {
            for (k, &active) in c.active.iter().enumerate() {
                let month = c.month + Months::new(k as u32);
                let count = customers
                    .iter()
                    .filter(|&&id| {
                        let mine = || {
                            purchases
                                .iter()
                                .filter(move |p| p.customer == id && p.day <= through)
                        };
                        mine().map(|p| p.day).min().map(month_of) == Some(c.month)
                            && mine().any(|p| month_of(p.day) == month)
                    })
                    .count();
                assert_eq!(active, count, "cohort {} month {k}", c.month);
            }
            assert_eq!(c.active[0], c.customers);
        }
    }

    #[test]
    fn movement_matches_a_day_by_day_simulation() {
        let purchases = random_purchases(2, 200);
        let (lapse, from, through) = (60u32, day("2023-03-01"), day("2024-05-20"));
        let rows = movement(&purchases, lapse, from, through);
        // Walk every day: purchases first, then the lapse check.
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            Unknown,
            Active(NaiveDate),
            Lost,
        }
        let ids: BTreeSet<i64> = purchases.iter().map(|p| p.customer).collect();
        let mut state: BTreeMap<i64, State> = ids.iter().map(|&i| (i, State::Unknown)).collect();
        let mut expected: BTreeMap<NaiveDate, PeriodMovement> = BTreeMap::new();
        let mut d = day("2023-01-01");
        while d <= through {
            let m = month_of(d);
            let row = expected.entry(m).or_insert(PeriodMovement {
                month: m,
                gained: 0,
                lost: 0,
                won_back: 0,
                active_at_end: 0,
                revenue_minor: 0,
            });
            for &id in &ids {
                let bought = purchases.iter().any(|p| p.customer == id && p.day == d);
                let s = state[&id];
                let next = match (s, bought) {
                    (State::Unknown, true) => {
                        row.gained += 1;
                        State::Active(d)
                    }
                    (State::Lost, true) => {
                        row.won_back += 1;
                        State::Active(d)
                    }
                    (State::Active(_), true) => State::Active(d),
                    (State::Active(last), false) if (d - last).num_days() == lapse as i64 => {
                        row.lost += 1;
                        State::Lost
                    }
                    (s, _) => s,
                };
                state.insert(id, next);
            }
            row.revenue_minor += purchases
                .iter()
                .filter(|p| p.day == d)
                .map(|p| p.amount_minor)
                .sum::<i64>();
            row.active_at_end = state
                .values()
                .filter(|s| matches!(s, State::Active(_)))
                .count();
            d = d.succ_opt().unwrap();
        }
        let expected: Vec<PeriodMovement> = expected
            .into_values()
            .filter(|r| r.month >= month_of(from))
            .collect();
        assert_eq!(rows, expected);
        let changes = month_over_month(&rows);
        assert_eq!(changes.len(), rows.len() - 1);
        assert_eq!(
            changes[0].revenue.delta,
            rows[1].revenue_minor - rows[0].revenue_minor
        );
    }

    #[test]
    fn revenue_by_group_and_month() {
        let p = |customer, d: &str, amount_minor| Purchase {
            customer,
            day: day(d),
            amount_minor,
        };
        let purchases = [
            p(1, "2024-01-05", 100),
            p(2, "2024-01-20", 50),
            p(1, "2024-03-01", 30),
            p(3, "2024-02-02", 70),
            p(3, "2023-12-31", 999),
        ];
        let territory = |c: i64| if c == 3 { "south" } else { "north" };
        let rows = revenue_by_month(&purchases, territory, day("2024-01-01"), day("2024-03-31"));
        let got: Vec<(&str, u32, i64, Option<f64>)> = rows
            .iter()
            .map(|r| (r.group, r.month.month(), r.revenue.current, r.revenue.ratio))
            .collect();
        assert_eq!(
            got,
            [
                ("north", 1, 150, None),
                ("north", 2, 0, Some(-1.0)),
                ("north", 3, 30, None),
                ("south", 1, 0, None),
                ("south", 2, 70, None),
                ("south", 3, 0, Some(-1.0)),
            ]
        );
    }
}
