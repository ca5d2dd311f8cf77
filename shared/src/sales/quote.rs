//! Quotes on a deal: lines priced from the catalogue, the discount limit per role and the
//! approval above it, the status flow, and revisions (a sent revision is frozen; changing it
//! means making the next revision).

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::account::ValidationError;
use crate::domain::{StaffRole as Role, string_enum};
use crate::money::{Currency, FULL_BP, MAX_MINOR};
use crate::sales::amounts::{DocumentAmounts, LineAmounts, line_amounts};
use crate::sales::catalogue::{
    PriceList, PriceSource, PricingContext, Product, ProductStatus, applicable_price,
};
use crate::transfer::{Fields, RowErrors};

/// Longest terms and conditions on a quote, in characters.
pub const MAX_TERMS_CHARS: usize = 10_000;

/// Largest quantity on one line: a billion units.
pub const MAX_QUANTITY_MILLI: i64 = 1_000_000_000_000;

string_enum!(
    /// A quote revision's life: draft → sent → accepted | rejected | expired; a sent revision that
    /// is revised becomes superseded (only the newest revision can be accepted).
    QuoteStatus {
        Draft => "draft",
        Sent => "sent",
        Accepted => "accepted",
        Rejected => "rejected",
        Expired => "expired",
        Superseded => "superseded",
    }
);

/// The moves a quote revision's status may make.
pub const QUOTE_STATUS_FLOW: &[(QuoteStatus, QuoteStatus)] = {
    use QuoteStatus::*;
    &[
        (Draft, Sent),
        (Sent, Accepted),
        (Sent, Rejected),
        (Sent, Expired),
        (Sent, Superseded),
    ]
};

/// How far below the applicable price each role may sell without approval, in basis points of
/// that price (price override and line discount together). Configurable; a role not listed may
/// give nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountPolicy {
    limits_bp: HashMap<Role, i64>,
}

impl Default for DiscountPolicy {
    /// Sales reps 10 %, managers 25 %, admins anything.
    fn default() -> Self {
        DiscountPolicy {
            limits_bp: HashMap::from([
                (Role::SalesRep, 1_000),
                (Role::Manager, 2_500),
                (Role::Admin, FULL_BP),
            ]),
        }
    }
}

impl DiscountPolicy {
    /// This policy with `role`'s limit set (0 to 100 %).
    pub fn with_limit(mut self, role: Role, limit_bp: i64) -> Result<Self, ValidationError> {
        if !(0..=FULL_BP).contains(&limit_bp) {
            return Err(ValidationError::new(
                "limit_bp",
                format!("{limit_bp} is outside 0..=10000 (0 to 100 %)"),
            ));
        }
        self.limits_bp.insert(role, limit_bp);
        Ok(self)
    }

    pub fn limit_bp(&self, role: Role) -> i64 {
        self.limits_bp.get(&role).copied().unwrap_or(0)
    }
}

/// What a client sends for one line; the unit price and discount are optional (the applicable
/// price and no discount).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteLineInput {
    pub product_id: i64,
    pub quantity_milli: i64,
    #[serde(default)]
    pub unit_price_minor: Option<i64>,
    #[serde(default)]
    pub discount_bp: Option<i64>,
}

/// A priced line. Price, tax rate and cost are taken when the line is priced and stay as they
/// are on this revision (a later catalogue change does not move a quote).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub product_id: i64,
    pub sku: String,
    pub quantity_milli: i64,
    /// The currency the line was priced in: it must be the quote's.
    pub currency: Currency,
    /// The price the rules give (price list or list price): discount limits count from it.
    pub applicable_price_minor: i64,
    pub price_source: PriceSource,
    /// The price per unit on the quote (the applicable one unless overridden).
    pub unit_price_minor: i64,
    pub discount_bp: i64,
    pub tax_rate_bp: i64,
    /// The product's cost price when the line was priced; an order keeps it.
    pub unit_cost_minor: i64,
}

impl QuoteLine {
    pub fn amounts(&self) -> Result<LineAmounts, ValidationError> {
        line_amounts(
            self.unit_price_minor,
            self.quantity_milli,
            self.discount_bp,
            self.tax_rate_bp,
            self.unit_cost_minor,
        )
    }

    /// Whether the line sells at most `limit_bp` below its applicable price, exactly:
    /// price × (1 − discount) ≥ applicable × (1 − limit).
    pub fn within(&self, limit_bp: i64) -> bool {
        i128::from(self.unit_price_minor) * i128::from(FULL_BP - self.discount_bp)
            >= i128::from(self.applicable_price_minor) * i128::from(FULL_BP - limit_bp)
    }

    /// How far below the applicable price the line sells, in basis points rounded up (0 when at
    /// or above it): the smallest limit that allows it.
    pub fn reduction_bp(&self) -> i64 {
        if self.applicable_price_minor == 0 {
            return 0;
        }
        let kept = i128::from(self.unit_price_minor) * i128::from(FULL_BP - self.discount_bp)
            / i128::from(self.applicable_price_minor);
        (i128::from(FULL_BP) - kept).clamp(0, i128::from(FULL_BP)) as i64
    }
}

/// Prices the lines of a quote for an account on `day`: each product must exist, be active and
/// have a price in the quote's currency ([`applicable_price`]); the unit price is that price unless
/// the line overrides it. Every bad line is reported, by line number (1-based, as `row`) and field.
pub fn price_lines<'p>(
    inputs: &[QuoteLineInput],
    product: impl Fn(i64) -> Option<&'p Product>,
    context: &PricingContext,
    day: NaiveDate,
    price_lists: &[PriceList],
) -> Result<Vec<QuoteLine>, RowErrors> {
    let mut errors = RowErrors::default();
    let mut lines = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let mut f = Fields::new(i + 1);
        check_quantity(&mut f, input.quantity_milli);
        let price = input.unit_price_minor;
        if let Some(p) = price.filter(|p| !(0..=MAX_MINOR).contains(p)) {
            f.fail(
                "unit_price_minor",
                format!("{p} is outside 0..={MAX_MINOR}"),
            );
        }
        let discount = input.discount_bp.unwrap_or(0);
        if !(0..=FULL_BP).contains(&discount) {
            f.fail(
                "discount_bp",
                format!("{discount} is outside 0..=10000 (0 to 100 %)"),
            );
        }
        let found = match product(input.product_id) {
            None => {
                f.fail("product_id", format!("no product {}", input.product_id));
                None
            }
            Some(p) if p.status != ProductStatus::Active => {
                f.fail(
                    "product_id",
                    format!("product {} ({}) is {}, not for sale", p.id, p.sku, p.status),
                );
                None
            }
            Some(p) => match applicable_price(p, context, day, price_lists) {
                None => {
                    f.fail(
                        "product_id",
                        format!(
                            "product {} ({}) has no price in {} on {day}",
                            p.id, p.sku, context.currency
                        ),
                    );
                    None
                }
                Some(applied) => Some((p, applied)),
            },
        };
        match (f.finish(()), found) {
            (Ok(()), Some((p, applied))) => lines.push(QuoteLine {
                product_id: p.id,
                sku: p.sku.clone(),
                quantity_milli: input.quantity_milli,
                currency: applied.currency,
                applicable_price_minor: applied.unit_price_minor,
                price_source: applied.source,
                unit_price_minor: price.unwrap_or(applied.unit_price_minor),
                discount_bp: discount,
                tax_rate_bp: p.tax_rate_bp,
                unit_cost_minor: p.cost_price_minor,
            }),
            (Err(line_errors), _) => line_errors.into_iter().for_each(|e| errors.push(e)),
            // Every way of not finding a priced product recorded an error above.
            (Ok(()), None) => {}
        }
    }
    errors.or_ok(lines)
}

/// A sold quantity: more than nothing, at most [`MAX_QUANTITY_MILLI`].
pub(crate) fn check_quantity(f: &mut Fields, quantity_milli: i64) {
    if !(1..=MAX_QUANTITY_MILLI).contains(&quantity_milli) {
        f.fail(
            "quantity_milli",
            format!("{quantity_milli} is outside 1..={MAX_QUANTITY_MILLI} (thousandths of a unit)"),
        );
    }
}

/// Who approved a revision's discounts, and up to what limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub staff_id: i64,
    pub role: Role,
    pub limit_bp: i64,
}

/// Why a revision needs approval before it can be sent by someone of a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// The deepest reduction on the quote: an approver's limit must reach it.
    pub reduction_bp: i64,
    /// The lines beyond the limit (1-based).
    pub lines: Vec<usize>,
}

/// One revision of a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub account_id: i64,
    /// The deal it belongs to.
    pub opportunity_id: Option<i64>,
    /// 1 for the first; a revision of a revision is one more.
    pub revision: u32,
    pub status: QuoteStatus,
    pub currency: Currency,
    /// Last day the customer can accept (inclusive).
    pub valid_until: NaiveDate,
    pub terms: Option<String>,
    pub lines: Vec<QuoteLine>,
    pub approval: Option<Approval>,
    pub sent_on: Option<NaiveDate>,
    /// When it was accepted, rejected or found expired.
    pub decided_on: Option<NaiveDate>,
}

impl Quote {
    /// A first revision, in draft.
    pub fn new(
        account_id: i64,
        opportunity_id: Option<i64>,
        currency: Currency,
        valid_until: NaiveDate,
    ) -> Quote {
        Quote {
            account_id,
            opportunity_id,
            revision: 1,
            status: QuoteStatus::Draft,
            currency,
            valid_until,
            terms: None,
            lines: Vec::new(),
            approval: None,
            sent_on: None,
            decided_on: None,
        }
    }

    /// The status as of `today`: a sent revision past its validity is expired even before
    /// anyone writes it down.
    pub fn status_on(&self, today: NaiveDate) -> QuoteStatus {
        match self.status {
            QuoteStatus::Sent if today > self.valid_until => QuoteStatus::Expired,
            status => status,
        }
    }

    /// Only a draft can be changed; a sent revision is frozen.
    pub fn ensure_editable(&self) -> Result<(), ValidationError> {
        if self.status == QuoteStatus::Draft {
            return Ok(());
        }
        Err(ValidationError::new(
            "status",
            format!(
                "revision {} is {} and frozen: it cannot be changed; revise it to make revision {}",
                self.revision,
                self.status,
                self.revision + 1
            ),
        ))
    }

    /// Replaces the lines (of a draft). A given approval no longer holds for new lines.
    /// Every line must be priced in the quote's currency.
    pub fn set_lines(&mut self, lines: Vec<QuoteLine>) -> Result<(), ValidationError> {
        self.ensure_editable()?;
        if let Some((i, line)) = lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.currency != self.currency)
        {
            return Err(ValidationError::new(
                "currency",
                format!(
                    "line {} is priced in {}, the quote is in {}",
                    i + 1,
                    line.currency,
                    self.currency
                ),
            ));
        }
        self.lines = lines;
        self.approval = None;
        Ok(())
    }

    pub fn set_valid_until(&mut self, valid_until: NaiveDate) -> Result<(), ValidationError> {
        self.ensure_editable()?;
        self.valid_until = valid_until;
        Ok(())
    }

    pub fn set_terms(&mut self, terms: Option<String>) -> Result<(), ValidationError> {
        self.ensure_editable()?;
        let terms = terms.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if let Some(t) = terms
            .as_ref()
            .filter(|t| t.chars().count() > MAX_TERMS_CHARS)
        {
            return Err(ValidationError::new(
                "terms",
                format!(
                    "{} characters, more than {MAX_TERMS_CHARS}",
                    t.chars().count()
                ),
            ));
        }
        self.terms = terms;
        Ok(())
    }

    pub fn amounts(&self) -> Result<DocumentAmounts, ValidationError> {
        DocumentAmounts::of(self.lines.iter().map(QuoteLine::amounts))
    }

    /// Whether someone of `role` needs an approval to send this revision: some line sells
    /// further below its applicable price than both `role`'s limit and the approval given allow.
    pub fn approval_needed(&self, role: Role, policy: &DiscountPolicy) -> Option<ApprovalRequest> {
        let allowed = policy
            .limit_bp(role)
            .max(self.approval.as_ref().map_or(0, |a| a.limit_bp));
        let lines: Vec<usize> = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.within(allowed))
            .map(|(i, _)| i + 1)
            .collect();
        (!lines.is_empty()).then(|| ApprovalRequest {
            reduction_bp: self
                .lines
                .iter()
                .map(QuoteLine::reduction_bp)
                .max()
                .unwrap_or(0),
            lines,
        })
    }

    /// Approves the draft's discounts: the approver's limit must cover every line.
    pub fn approve(
        &mut self,
        staff_id: i64,
        role: Role,
        policy: &DiscountPolicy,
    ) -> Result<(), ValidationError> {
        self.ensure_editable()?;
        let limit_bp = policy.limit_bp(role);
        if let Some(line) = self.lines.iter().position(|l| !l.within(limit_bp)) {
            return Err(ValidationError::new(
                "approval",
                format!(
                    "line {} is {} below its price; a {role} may approve up to {}",
                    line + 1,
                    percent(self.lines[line].reduction_bp()),
                    percent(limit_bp)
                ),
            ));
        }
        self.approval = Some(Approval {
            staff_id,
            role,
            limit_bp,
        });
        Ok(())
    }

    /// Sends the draft to the customer (by someone of `role`, on `today`): it needs lines, a
    /// validity not yet past, and an approval when a discount is beyond `role`'s limit.
    pub fn send(
        &mut self,
        today: NaiveDate,
        role: Role,
        policy: &DiscountPolicy,
    ) -> Result<(), ValidationError> {
        check_move(self.status, QuoteStatus::Sent)?;
        if self.lines.is_empty() {
            return Err(ValidationError::new(
                "lines",
                "a quote needs at least one line",
            ));
        }
        if self.valid_until < today {
            return Err(ValidationError::new(
                "valid_until",
                format!("{} is already past", self.valid_until),
            ));
        }
        self.amounts()?;
        if let Some(request) = self.approval_needed(role, policy) {
            return Err(ValidationError::new(
                "approval",
                format!(
                    "line(s) {} sell up to {} below the applicable price, beyond a {role}'s {}: a manager must approve first",
                    request
                        .lines
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    percent(request.reduction_bp),
                    percent(policy.limit_bp(role))
                ),
            ));
        }
        self.status = QuoteStatus::Sent;
        self.sent_on = Some(today);
        Ok(())
    }

    /// Moves a sent revision to `to` on `today`, refusing a decision on an expired one.
    fn decide(&mut self, to: QuoteStatus, today: NaiveDate) -> Result<(), ValidationError> {
        let now = self.status_on(today);
        if now == QuoteStatus::Expired && to != QuoteStatus::Expired {
            return Err(ValidationError::new(
                "status",
                format!(
                    "revision {} expired after {}: it cannot be {to}; revise it with a new validity",
                    self.revision, self.valid_until
                ),
            ));
        }
        check_move(self.status, to)?;
        self.status = to;
        self.decided_on = Some(today);
        Ok(())
    }

    pub fn accept(&mut self, today: NaiveDate) -> Result<(), ValidationError> {
        self.decide(QuoteStatus::Accepted, today)
    }

    pub fn reject(&mut self, today: NaiveDate) -> Result<(), ValidationError> {
        self.decide(QuoteStatus::Rejected, today)
    }

    /// Writes down that a sent revision expired (only once its validity is past).
    pub fn expire(&mut self, today: NaiveDate) -> Result<(), ValidationError> {
        if self.status == QuoteStatus::Sent && today <= self.valid_until {
            return Err(ValidationError::new(
                "status",
                format!("it is valid until {}", self.valid_until),
            ));
        }
        self.decide(QuoteStatus::Expired, today)
    }

    /// The next revision: a draft copy of this one's lines and terms, valid until
    /// `valid_until`, without the approval. A sent revision becomes superseded (so only the new
    /// one can be accepted); a rejected or expired one stays as it is. A draft is edited, not
    /// revised; an accepted or superseded revision cannot be revised.
    pub fn revise(
        &mut self,
        today: NaiveDate,
        valid_until: NaiveDate,
    ) -> Result<Quote, ValidationError> {
        match self.status_on(today) {
            QuoteStatus::Sent => {
                check_move(self.status, QuoteStatus::Superseded)?;
                self.status = QuoteStatus::Superseded;
            }
            QuoteStatus::Rejected | QuoteStatus::Expired => {}
            status => {
                return Err(ValidationError::new(
                    "status",
                    format!(
                        "revision {} is {status}: {}",
                        self.revision,
                        if status == QuoteStatus::Draft {
                            "change the draft itself"
                        } else {
                            "only a sent, rejected or expired revision can be revised"
                        }
                    ),
                ));
            }
        }
        Ok(Quote {
            revision: self.revision + 1,
            status: QuoteStatus::Draft,
            valid_until,
            approval: None,
            sent_on: None,
            decided_on: None,
            ..self.clone()
        })
    }
}

fn check_move(from: QuoteStatus, to: QuoteStatus) -> Result<(), ValidationError> {
    crate::domain::check_move("status", from, to, QUOTE_STATUS_FLOW)
}

/// Basis points as a percentage for messages: 1250 → "12.5 %".
fn percent(bp: i64) -> String {
    let whole = bp / 100;
    match bp % 100 {
        0 => format!("{whole} %"),
        rest => format!("{whole}.{} %", format!("{rest:02}").trim_end_matches('0')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sales::fixtures::{context, day, product};
    use crate::transfer::tests::places;

    fn line(price: Option<i64>, discount: Option<i64>) -> QuoteLineInput {
        QuoteLineInput {
            product_id: 1,
            quantity_milli: 2_000,
            unit_price_minor: price,
            discount_bp: discount,
        }
    }

    /// A draft with one line of product 1 (list price 10,000) as given.
    fn quote(price: Option<i64>, discount: Option<i64>) -> Quote {
        let p = product(1, 10_000);
        let lines = price_lines(
            &[line(price, discount)],
            |_| Some(&p),
            &context(),
            day("2026-12-01"),
            &[],
        )
        .unwrap();
        let mut q = Quote::new(7, Some(3), Currency::IDR, day("2026-12-31"));
        q.set_lines(lines).unwrap();
        q
    }

    #[test]
    fn lines_take_the_applicable_price_unless_overridden() {
        let q = quote(None, None);
        assert_eq!(q.lines[0].unit_price_minor, 10_000);
        assert_eq!(q.lines[0].unit_cost_minor, 5_000);
        assert_eq!(q.amounts().unwrap().totals.total_minor, 22_200);
        assert_eq!(quote(Some(9_500), None).lines[0].unit_price_minor, 9_500);
    }

    #[test]
    fn bad_lines_are_all_named_by_line_and_field() {
        let active = product(1, 10_000);
        let mut retired = product(2, 10_000);
        retired.status = ProductStatus::Review;
        let mut dollars = product(3, 10);
        dollars.currency = Currency::parse("currency", "USD").unwrap();
        let find = |id: i64| {
            [&active, &retired, &dollars]
                .into_iter()
                .find(|p| p.id == id)
        };
        let inputs = [
            line(None, None),
            QuoteLineInput {
                quantity_milli: 0,
                ..line(None, None)
            },
            QuoteLineInput {
                product_id: 9,
                ..line(None, None)
            },
            QuoteLineInput {
                product_id: 2,
                ..line(None, None)
            },
            QuoteLineInput {
                product_id: 3,
                ..line(None, None)
            },
            line(Some(-1), Some(10_001)),
        ];
        let err = price_lines(&inputs, find, &context(), day("2026-12-01"), &[]).unwrap_err();
        assert_eq!(
            places(&err),
            [
                (Some(2), Some("quantity_milli")),
                (Some(3), Some("product_id")),
                (Some(4), Some("product_id")),
                (Some(5), Some("product_id")),
                (Some(6), Some("unit_price_minor")),
                (Some(6), Some("discount_bp")),
            ]
        );
        assert!(err.errors[3].message.contains("no price in IDR"), "{err}");
    }

    #[test]
    fn each_role_gives_up_to_its_limit_and_beyond_it_needs_approval() {
        let policy = DiscountPolicy::default();
        let today = day("2026-12-01");
        // (price override, discount, reduction): override and discount count together.
        for (price, discount, reduction) in [
            (None, Some(1_000), 1_000),
            (Some(9_000), None, 1_000),
            (Some(9_500), Some(600), 1_070),
            (None, Some(2_500), 2_500),
            (Some(7_000), Some(100), 3_070),
            (Some(11_000), Some(500), 0),
        ] {
            let q = quote(price, discount);
            assert_eq!(
                q.lines[0].reduction_bp(),
                reduction,
                "{price:?} {discount:?}"
            );
            for role in [Role::SalesRep, Role::Manager, Role::Admin, Role::Technician] {
                let allowed = reduction <= policy.limit_bp(role);
                assert_eq!(
                    q.approval_needed(role, &policy).is_none(),
                    allowed,
                    "{role} {reduction}"
                );
                let mut sending = q.clone();
                let sent = sending.send(today, role, &policy);
                assert_eq!(sent.is_ok(), allowed, "{role} {reduction}");
                if !allowed {
                    assert_eq!(sent.unwrap_err().field, "approval");
                    assert_eq!(sending.status, QuoteStatus::Draft);
                }
            }
        }
    }

    #[test]
    fn exactly_at_the_limit_needs_no_approval_and_one_rupiah_below_does() {
        let policy = DiscountPolicy::default();
        assert!(
            quote(Some(9_000), None)
                .approval_needed(Role::SalesRep, &policy)
                .is_none()
        );
        let over = quote(Some(8_999), None);
        let request = over.approval_needed(Role::SalesRep, &policy).unwrap();
        assert_eq!(request.lines, [1]);
        assert_eq!(request.reduction_bp, 1_001);
    }

    #[test]
    fn a_manager_approves_within_their_limit_and_then_the_rep_can_send() {
        let policy = DiscountPolicy::default();
        let today = day("2026-12-01");
        let mut q = quote(None, Some(2_000));
        assert_eq!(
            q.approve(5, Role::SalesRep, &policy).unwrap_err().field,
            "approval"
        );
        q.approve(9, Role::Manager, &policy).unwrap();
        assert!(q.approval_needed(Role::SalesRep, &policy).is_none());
        // Changing the lines drops the approval.
        let mut changed = q.clone();
        changed.set_lines(quote(None, Some(2_000)).lines).unwrap();
        assert!(changed.approval_needed(Role::SalesRep, &policy).is_some());
        q.send(today, Role::SalesRep, &policy).unwrap();
        assert_eq!(q.status, QuoteStatus::Sent);
        // 30 % is beyond a manager: only an admin approves it.
        let mut deep = quote(None, Some(3_000));
        assert!(deep.approve(9, Role::Manager, &policy).is_err());
        deep.approve(1, Role::Admin, &policy).unwrap();
        // The limits are configurable.
        let strict = DiscountPolicy::default()
            .with_limit(Role::SalesRep, 500)
            .unwrap();
        assert!(
            quote(None, Some(600))
                .approval_needed(Role::SalesRep, &strict)
                .is_some()
        );
        assert!(
            DiscountPolicy::default()
                .with_limit(Role::Manager, 10_001)
                .is_err()
        );
    }

    fn sent() -> Quote {
        let mut q = quote(None, None);
        q.send(
            day("2026-12-01"),
            Role::SalesRep,
            &DiscountPolicy::default(),
        )
        .unwrap();
        q
    }

    #[test]
    fn every_move_outside_the_flow_is_refused() {
        use QuoteStatus::*;
        let policy = DiscountPolicy::default();
        let today = day("2026-12-10");
        for from in QuoteStatus::ALL {
            for to in QuoteStatus::ALL {
                let mut q = sent();
                q.status = *from;
                let result = match to {
                    Draft => Err(ValidationError::new("status", "no way back")),
                    Sent => q.send(today, Role::Admin, &policy),
                    Accepted => q.accept(today),
                    Rejected => q.reject(today),
                    Expired => q.expire(day("2027-01-01")),
                    Superseded => q.revise(today, day("2027-01-31")).map(|_| ()),
                };
                let legal = QUOTE_STATUS_FLOW.contains(&(*from, *to));
                // From a rejected or expired revision, revising makes a new one without a move.
                let revise_in_place = *to == Superseded && matches!(from, Rejected | Expired);
                assert_eq!(
                    result.is_ok(),
                    legal || revise_in_place,
                    "{from} → {to}: {result:?}"
                );
                if let Err(e) = result {
                    assert_eq!(e.field, "status", "{from} → {to}");
                    assert_eq!(q.status, *from, "a refused move changes nothing");
                }
            }
        }
    }

    #[test]
    fn a_sent_quote_expires_after_its_validity() {
        let q = sent();
        assert_eq!(q.status_on(day("2026-12-31")), QuoteStatus::Sent);
        assert_eq!(q.status_on(day("2027-01-01")), QuoteStatus::Expired);
        let mut late = q.clone();
        let err = late.accept(day("2027-01-01")).unwrap_err();
        assert!(err.message.contains("expired"), "{err}");
        let mut early = q.clone();
        assert!(early.expire(day("2026-12-31")).is_err());
        early.expire(day("2027-01-01")).unwrap();
        assert_eq!(early.status, QuoteStatus::Expired);
        let mut on_time = q.clone();
        on_time.accept(day("2026-12-31")).unwrap();
        assert_eq!(on_time.decided_on, Some(day("2026-12-31")));
        // A draft whose validity is past cannot be sent.
        let mut stale = quote(None, None);
        let err = stale
            .send(day("2027-01-01"), Role::Admin, &DiscountPolicy::default())
            .unwrap_err();
        assert_eq!(err.field, "valid_until");
    }

    #[test]
    fn sent_revisions_are_frozen_and_revising_makes_the_next() {
        let mut q = sent();
        let lines = q.lines.clone();
        for err in [
            q.set_lines(lines).unwrap_err(),
            q.set_valid_until(day("2027-02-01")).unwrap_err(),
            q.set_terms(Some("30 days".into())).unwrap_err(),
            q.approve(1, Role::Admin, &DiscountPolicy::default())
                .unwrap_err(),
        ] {
            assert_eq!(err.field, "status");
            assert!(
                err.message.contains("frozen") && err.message.contains("revision 2"),
                "{err}"
            );
        }
        let before = q.clone();
        let mut next = q.revise(day("2026-12-05"), day("2027-01-31")).unwrap();
        assert_eq!(q.status, QuoteStatus::Superseded);
        assert_eq!(q.lines, before.lines, "the old revision keeps its lines");
        assert_eq!((next.revision, next.status), (2, QuoteStatus::Draft));
        assert_eq!(next.lines, before.lines);
        next.set_terms(Some(" Net 30 ".into())).unwrap();
        assert_eq!(next.terms.as_deref(), Some("Net 30"));
        // The superseded one can no longer be accepted or revised.
        assert!(q.accept(day("2026-12-06")).is_err());
        assert!(q.revise(day("2026-12-06"), day("2027-01-31")).is_err());
        // A rejected revision stays rejected when revised.
        let mut rejected = sent();
        rejected.reject(day("2026-12-02")).unwrap();
        let again = rejected
            .revise(day("2026-12-03"), day("2027-01-15"))
            .unwrap();
        assert_eq!(
            (rejected.status, again.revision),
            (QuoteStatus::Rejected, 2)
        );
    }

    #[test]
    fn lines_must_be_in_the_quote_s_currency_and_terms_not_endless() {
        let mut dollars = quote(None, None);
        dollars.currency = Currency::parse("currency", "USD").unwrap();
        let lines = dollars.lines.clone();
        let err = dollars.set_lines(lines).unwrap_err();
        assert_eq!(err.field, "currency");
        assert!(err.message.contains("line 1 is priced in IDR"), "{err}");
        let mut q = quote(None, None);
        assert_eq!(
            q.set_terms(Some("x".repeat(MAX_TERMS_CHARS + 1)))
                .unwrap_err()
                .field,
            "terms"
        );
        q.set_terms(Some("  ".into())).unwrap();
        assert_eq!(q.terms, None);
    }

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(1_000), "10 %");
        assert_eq!(percent(1_250), "12.5 %");
        assert_eq!(percent(1_001), "10.01 %");
    }
}
