//! Territory and owner follow the position (issue 14 item 5): the one rule every way of writing
//! an account applies (REST create and change, API and CLI imports).
//!
//! A new account, or one whose position changed, gets the published territory that contains it
//! (exactly one: where territories overlap, or outside all of them, the position names none) and
//! that territory's rep as its owner. A territory or owner the writer set explicitly is kept (the
//! access rules decide elsewhere whether the writer may set it); the territory's rep replaces
//! the owner only where `may_change_owner` allows that change for the writer, so a rep who moves
//! a pin into a colleague's territory keeps the account rather than losing it. An account that
//! lands outside every territory keeps its owner and has no territory (unless one is given).

use crate::LonLat;
use crate::account::ValidAccount;
use crate::spatial::{Territory, TerritoryIndex};

/// Which of the placing fields the writer set explicitly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Given {
    pub owner: bool,
    pub territory: bool,
}

impl Given {
    /// For a new account (a create or an import row): whatever the input names.
    pub fn of_new(account: &ValidAccount) -> Self {
        Self {
            owner: account.owner_id.is_some(),
            territory: account.territory_id.is_some(),
        }
    }
}

/// The one published territory containing `p`; `None` outside all and where several overlap.
pub fn territory_containing(index: &TerritoryIndex, p: LonLat) -> Option<&Territory> {
    match index.territories_at(p).as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Places `account` (as about to be written). `before` is the stored position and owner of an
/// account being changed (`None` for a new one): an account that did not move is left as it is.
/// `may_change_owner(from, to)` says whether the writer may move the account between owners.
pub fn place(
    account: &mut ValidAccount,
    before: Option<(LonLat, Option<i64>)>,
    given: Given,
    index: &TerritoryIndex,
    may_change_owner: impl Fn(Option<i64>, Option<i64>) -> bool,
) {
    if before.is_some_and(|(position, _)| position == account.position) {
        return;
    }
    if !given.territory {
        account.territory_id = territory_containing(index, account.position).map(|t| t.id);
    }
    if given.owner {
        return;
    }
    let rep = account.territory_id.and_then(|id| {
        index
            .territories()
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| t.owner)
    });
    let current = before.map_or(account.owner_id, |(_, owner)| owner);
    if let Some(rep) = rep
        && may_change_owner(current, Some(rep))
    {
        account.owner_id = Some(rep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountInput;

    fn square(id: i64, owner: Option<i64>, x0: f64, y0: f64, x1: f64, y1: f64) -> Territory {
        let ring = vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
        Territory::from_coords(id, owner, &[vec![ring]]).unwrap()
    }

    fn index() -> TerritoryIndex {
        TerritoryIndex::new(vec![
            square(1, Some(10), 100.0, -10.0, 110.0, 0.0),
            square(2, Some(20), 110.0, -10.0, 120.0, 0.0),
            square(3, None, 120.0, -10.0, 130.0, 0.0),
        ])
        .unwrap()
    }

    fn account(lon: f64, owner: Option<i64>, territory: Option<i64>) -> ValidAccount {
        AccountInput {
            name: "Toko".into(),
            lon,
            lat: -5.0,
            owner_id: owner,
            territory_id: territory,
            ..AccountInput::default()
        }
        .validate()
        .unwrap()
    }

    fn anyone(_: Option<i64>, _: Option<i64>) -> bool {
        true
    }

    #[test]
    fn a_new_account_takes_the_territory_and_its_rep() {
        let index = index();
        let mut a = account(105.0, None, None);
        let given = Given::of_new(&a);
        place(&mut a, None, given, &index, anyone);
        assert_eq!((a.territory_id, a.owner_id), (Some(1), Some(10)));
        let mut unowned = account(125.0, None, None);
        place(&mut unowned, None, Given::default(), &index, anyone);
        assert_eq!((unowned.territory_id, unowned.owner_id), (Some(3), None));
        let mut outside = account(140.0, None, None);
        place(&mut outside, None, Given::default(), &index, anyone);
        assert_eq!((outside.territory_id, outside.owner_id), (None, None));
    }

    #[test]
    fn explicit_values_are_kept_and_the_rule_decides_the_rest() {
        let index = index();
        let mut a = account(105.0, Some(99), None);
        let given = Given::of_new(&a);
        place(&mut a, None, given, &index, anyone);
        assert_eq!((a.territory_id, a.owner_id), (Some(1), Some(99)));
        let mut b = account(105.0, None, Some(2));
        let given = Given::of_new(&b);
        place(&mut b, None, given, &index, anyone);
        assert_eq!((b.territory_id, b.owner_id), (Some(2), Some(20)));
        // A move the writer may not make leaves the owner.
        let mut c = account(115.0, Some(10), Some(1));
        let before = Some((LonLat::new(105.0, -5.0).unwrap(), Some(10)));
        place(&mut c, before, Given::default(), &index, |from, to| {
            from == to
        });
        assert_eq!((c.territory_id, c.owner_id), (Some(2), Some(10)));
        place(&mut c, before, Given::default(), &index, anyone);
        assert_eq!((c.territory_id, c.owner_id), (Some(2), Some(20)));
    }

    #[test]
    fn an_account_that_did_not_move_is_left_alone() {
        let index = index();
        let mut a = account(105.0, Some(7), Some(2));
        let before = Some((a.position, Some(7)));
        place(&mut a, before, Given::default(), &index, anyone);
        assert_eq!((a.territory_id, a.owner_id), (Some(2), Some(7)));
        // Moved out of every territory: no territory, the owner stays.
        let mut out = account(140.0, Some(7), Some(2));
        place(
            &mut out,
            Some((LonLat::new(105.0, -5.0).unwrap(), Some(7))),
            Given::default(),
            &index,
            anyone,
        );
        assert_eq!((out.territory_id, out.owner_id), (None, Some(7)));
    }
}
