//! What a line and a document come to, in integer minor units. One rule for quotes, orders and
//! returns (see `docs/sales.md`):
//!
//! - **gross** = unit price × quantity, rounded once;
//! - **net** = unit price × quantity × (1 − discount), rounded once from the exact value (not from
//!   the rounded gross), and **discount** = gross − net, so the printed figures add up;
//! - **tax** = net × tax rate, rounded: the tax is taken on the net the document prints, so a
//!   reader can check it from the page;
//! - **total** = net + tax; **cost** = unit cost × quantity, rounded.
//!
//! Every rounding is to the nearest minor unit, halves away from zero ([`round_div`]). A document's
//! subtotal, tax and total are the plain sums of its lines' figures: nothing is rounded again,
//! so the lines always add up to the totals. The difference to rounding the exact sum once is
//! bounded (⌊n/2⌋ minor units for n lines, see `docs/sales.md`); a property test checks it.

use serde::{Deserialize, Serialize};

use crate::account::ValidationError;
use crate::money::{FULL_BP, MILLI, fit_minor, round_div};

/// The figures of one line (negative for a returned line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAmounts {
    pub gross_minor: i64,
    pub discount_minor: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub cost_minor: i64,
}

/// The exact net of a line as a fraction over [`NET_DENOMINATOR`] (for checking the rounding).
pub fn exact_net(unit_price_minor: i64, quantity_milli: i64, discount_bp: i64) -> i128 {
    i128::from(unit_price_minor) * i128::from(quantity_milli) * i128::from(FULL_BP - discount_bp)
}

/// Denominator of [`exact_net`]: thousandths of a unit times basis points.
pub const NET_DENOMINATOR: i128 = (MILLI as i128) * (FULL_BP as i128);

/// The figures of a line. Inputs are assumed checked (discount and tax within 0..=100 %); an
/// amount too large for a money field is an error naming it.
pub fn line_amounts(
    unit_price_minor: i64,
    quantity_milli: i64,
    discount_bp: i64,
    tax_rate_bp: i64,
    unit_cost_minor: i64,
) -> Result<LineAmounts, ValidationError> {
    let quantity = i128::from(quantity_milli);
    let gross = fit_minor(
        "quantity_milli",
        round_div(i128::from(unit_price_minor) * quantity, MILLI.into()),
    )?;
    let net = fit_minor(
        "quantity_milli",
        round_div(
            exact_net(unit_price_minor, quantity_milli, discount_bp),
            NET_DENOMINATOR,
        ),
    )?;
    let tax = fit_minor(
        "tax_rate_bp",
        round_div(i128::from(net) * i128::from(tax_rate_bp), FULL_BP.into()),
    )?;
    let cost = fit_minor(
        "unit_cost_minor",
        round_div(i128::from(unit_cost_minor) * quantity, MILLI.into()),
    )?;
    Ok(LineAmounts {
        gross_minor: gross,
        discount_minor: gross - net,
        net_minor: net,
        tax_minor: tax,
        total_minor: fit_minor("quantity_milli", i128::from(net) + i128::from(tax))?,
        cost_minor: cost,
    })
}

/// A document's totals: the sums of its lines' figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub gross_minor: i64,
    pub discount_minor: i64,
    /// Σ net: the amount before tax.
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub cost_minor: i64,
    /// Subtotal minus cost: what the document earns before the cost to serve.
    pub margin_minor: i64,
}

impl Totals {
    /// Sums the lines (an error names the figure that outgrew a money field).
    pub fn of<'a>(
        lines: impl IntoIterator<Item = &'a LineAmounts>,
    ) -> Result<Totals, ValidationError> {
        let mut sum = [0i128; 6];
        for l in lines {
            for (s, v) in sum.iter_mut().zip([
                l.gross_minor,
                l.discount_minor,
                l.net_minor,
                l.tax_minor,
                l.total_minor,
                l.cost_minor,
            ]) {
                *s += i128::from(v);
            }
        }
        let [gross, discount, net, tax, total, cost] = sum;
        Ok(Totals {
            gross_minor: fit_minor("lines", gross)?,
            discount_minor: fit_minor("lines", discount)?,
            subtotal_minor: fit_minor("lines", net)?,
            tax_minor: fit_minor("lines", tax)?,
            total_minor: fit_minor("lines", total)?,
            cost_minor: fit_minor("lines", cost)?,
            margin_minor: fit_minor("lines", net - cost)?,
        })
    }
}

/// A document's lines' figures and its totals, as a page or an API answer shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentAmounts {
    pub lines: Vec<LineAmounts>,
    pub totals: Totals,
}

impl DocumentAmounts {
    /// The figures of each line (the first that fails is the error) and their totals.
    pub fn of(
        lines: impl IntoIterator<Item = Result<LineAmounts, ValidationError>>,
    ) -> Result<DocumentAmounts, ValidationError> {
        let lines = lines.into_iter().collect::<Result<Vec<_>, _>>()?;
        let totals = Totals::of(&lines)?;
        Ok(DocumentAmounts { lines, totals })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_line_adds_up_on_paper() {
        // 2.5 units at 10,001 with 7.5 % off and 11 % tax.
        let l = line_amounts(10_001, 2_500, 750, 1100, 6_000).unwrap();
        // gross 25,002.5 → 25,003; net 23,127.3125 → 23,127; tax 2,543.97 → 2,544.
        assert_eq!(
            (l.gross_minor, l.net_minor, l.discount_minor, l.tax_minor),
            (25_003, 23_127, 1_876, 2_544)
        );
        assert_eq!(l.total_minor, 25_671);
        assert_eq!(l.cost_minor, 15_000);
    }

    #[test]
    fn a_returned_line_is_exactly_the_negative_of_the_sold_one() {
        for (price, qty, disc, tax) in [
            (10_001, 2_500, 750, 1100),
            (5, 1_500, 0, 1000),
            (3, 500, 5000, 1100),
        ] {
            let sold = line_amounts(price, qty, disc, tax, 7).unwrap();
            let back = line_amounts(price, -qty, disc, tax, 7).unwrap();
            assert_eq!(
                [
                    back.gross_minor,
                    back.net_minor,
                    back.tax_minor,
                    back.total_minor,
                    back.cost_minor
                ],
                [
                    -sold.gross_minor,
                    -sold.net_minor,
                    -sold.tax_minor,
                    -sold.total_minor,
                    -sold.cost_minor
                ]
            );
        }
    }

    #[test]
    fn the_bound_is_reached_for_an_even_number_of_lines() {
        // Four lines of exactly half a rupiah each: each rounds to 1 (total 4); the exact sum 2.
        let lines: Vec<LineAmounts> = (0..4)
            .map(|_| line_amounts(1, 500, 0, 0, 0).unwrap())
            .collect();
        let totals = Totals::of(&lines).unwrap();
        assert_eq!(totals.subtotal_minor, 4);
        assert_eq!(totals.subtotal_minor - 2, 4 / 2);
    }

    #[test]
    fn three_ties_stay_within_one_unit() {
        // Three lines of exactly half a rupiah: 1 + 1 + 1 = 3 against 1.5 rounded to 2, one apart
        // (⌊3/2⌋). Rounding halves to even would give 0 + 0 + 0 against 2: two apart.
        let lines: Vec<LineAmounts> = (0..3)
            .map(|_| line_amounts(1, 500, 0, 0, 0).unwrap())
            .collect();
        assert_eq!(Totals::of(&lines).unwrap().subtotal_minor, 3);
        assert_eq!(round_div(3 * 500, 1_000), 2);
    }

    #[test]
    fn an_amount_too_large_names_the_field() {
        let err = line_amounts(9_000_000_000_000_000, 2_000, 0, 0, 0).unwrap_err();
        assert_eq!(err.field, "quantity_milli");
    }

    fn any_line() -> impl Strategy<Value = (i64, i64, i64, i64)> {
        (
            0i64..5_000_000_000,
            prop_oneof![1i64..10_000_000, -10_000_000i64..-1],
            prop_oneof![Just(0i64), 0i64..=FULL_BP],
            prop_oneof![Just(1100i64), 0i64..=3000],
        )
    }

    /// A line made to land on half a minor unit often: tiny prices, half units, 50 % off or tax.
    /// Ties are where rounding rules differ (with halves to even, three lines of 0.5 sum to 0
    /// while 1.5 rounds to 2, beyond ⌊3/2⌋).
    fn tie_line() -> impl Strategy<Value = (i64, i64, i64, i64)> {
        (
            1i64..6,
            (-3i64..3).prop_map(|k| k * 1_000 + 500),
            prop_oneof![Just(0i64), Just(5_000)],
            prop_oneof![Just(0i64), Just(5_000)],
        )
    }

    /// The documented invariant: the totals are the exact sums of the printed lines, and the
    /// sum of n rounded nets (or taxes) is never more than ⌊n/2⌋ minor units away from the
    /// exact sum rounded once; the grand total never more than n.
    fn check_rule(lines: &[(i64, i64, i64, i64)]) -> Result<(), TestCaseError> {
        let n = lines.len() as i128;
        let amounts: Vec<LineAmounts> = lines
            .iter()
            .map(|&(p, q, d, t)| line_amounts(p, q, d, t, 0).unwrap())
            .collect();
        let totals = Totals::of(&amounts).unwrap();
        prop_assert_eq!(
            totals.subtotal_minor,
            amounts.iter().map(|a| a.net_minor).sum::<i64>()
        );
        prop_assert_eq!(
            totals.tax_minor,
            amounts.iter().map(|a| a.tax_minor).sum::<i64>()
        );
        prop_assert_eq!(totals.total_minor, totals.subtotal_minor + totals.tax_minor);
        prop_assert_eq!(
            totals.gross_minor - totals.discount_minor,
            totals.subtotal_minor
        );

        let exact_nets: i128 = lines.iter().map(|&(p, q, d, _)| exact_net(p, q, d)).sum();
        let net_gap =
            (i128::from(totals.subtotal_minor) - round_div(exact_nets, NET_DENOMINATOR)).abs();
        prop_assert!(
            net_gap <= n / 2,
            "subtotal off by {} over {} lines",
            net_gap,
            n
        );

        // Taxes are taken on the printed nets: exact tax = Σ net × rate.
        let exact_taxes: i128 = amounts
            .iter()
            .zip(lines)
            .map(|(a, &(_, _, _, t))| i128::from(a.net_minor) * i128::from(t))
            .sum();
        let tax_gap = (i128::from(totals.tax_minor) - round_div(exact_taxes, FULL_BP.into())).abs();
        prop_assert!(tax_gap <= n / 2, "tax off by {} over {} lines", tax_gap, n);

        // The grand total against the exact net-plus-tax rounded once.
        let exact_total = exact_nets * i128::from(FULL_BP) + exact_taxes * NET_DENOMINATOR;
        let total_gap = (i128::from(totals.total_minor)
            - round_div(exact_total, NET_DENOMINATOR * i128::from(FULL_BP)))
        .abs();
        prop_assert!(
            total_gap <= n,
            "total off by {} over {} lines",
            total_gap,
            n
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn rounded_lines_and_the_rounded_total_stay_within_the_rule(
            lines in proptest::collection::vec(prop_oneof![any_line(), tie_line()], 1..40)
        ) {
            check_rule(&lines)?;
        }

        #[test]
        fn the_rule_holds_on_ties(lines in proptest::collection::vec(tie_line(), 1..8)) {
            check_rule(&lines)?;
        }
    }
}
