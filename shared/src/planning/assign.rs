//! Auto-assignment: every account goes to the territory that contains it, and so to that
//! territory's rep.

use serde::{Deserialize, Serialize};

use crate::LonLat;
use crate::spatial::{Overlap, TerritoryIndex};

/// An account as assignment sees it: where it is and who holds it now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccountPoint {
    pub id: i64,
    pub position: LonLat,
    pub territory_id: Option<i64>,
    pub owner_id: Option<i64>,
}

/// An account whose territory or owner changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassignment {
    pub account_id: i64,
    pub from_territory: Option<i64>,
    pub to_territory: Option<i64>,
    pub from_owner: Option<i64>,
    pub to_owner: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutoAssignment {
    /// Accounts that change, by id.
    pub changes: Vec<Reassignment>,
    /// Accounts in no territory, by id: their territory is cleared, their owner kept.
    pub unassigned: Vec<i64>,
    /// Accounts in more than one territory: left as they are.
    pub ambiguous: Vec<Overlap>,
}

/// Where each account belongs: in exactly one territory → that territory and its rep (no rep →
/// no owner); in none → no territory, owner unchanged; in several → unchanged (validation
/// refuses overlapping territories before publishing).
pub fn auto_assign(index: &TerritoryIndex, accounts: &[AccountPoint]) -> AutoAssignment {
    let report = index.assign_all(accounts.iter().map(|a| (a.id, a.position)));
    let owner_of = |territory: i64| {
        index
            .territories()
            .iter()
            .find(|t| t.id == territory)
            .and_then(|t| t.owner)
    };
    let mut by_id: Vec<&AccountPoint> = accounts.iter().collect();
    by_id.sort_by_key(|a| a.id);
    let find = |id: i64| {
        by_id
            .binary_search_by_key(&id, |a| a.id)
            .ok()
            .map(|i| by_id[i])
    };
    let mut changes = Vec::new();
    for &(id, territory) in &report.assigned {
        let Some(a) = find(id) else { continue };
        let owner = owner_of(territory);
        if a.territory_id != Some(territory) || a.owner_id != owner {
            changes.push(Reassignment {
                account_id: id,
                from_territory: a.territory_id,
                to_territory: Some(territory),
                from_owner: a.owner_id,
                to_owner: owner,
            });
        }
    }
    for &id in &report.unassigned {
        let Some(a) = find(id) else { continue };
        if a.territory_id.is_some() {
            changes.push(Reassignment {
                account_id: id,
                from_territory: a.territory_id,
                to_territory: None,
                from_owner: a.owner_id,
                to_owner: a.owner_id,
            });
        }
    }
    changes.sort_by_key(|c| c.account_id);
    AutoAssignment {
        changes,
        unassigned: report.unassigned,
        ambiguous: report.overlaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::Territory;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
        vec![vec![vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]]
    }

    #[test]
    fn accounts_follow_the_territory_that_contains_them() {
        let index = TerritoryIndex::new(vec![
            Territory::from_coords(1, Some(10), &square(0.0, 0.0, 1.0, 1.0)).unwrap(),
            Territory::from_coords(2, None, &square(1.0, 0.0, 2.0, 1.0)).unwrap(),
        ])
        .unwrap();
        let at = |id, lon, lat, territory_id, owner_id| AccountPoint {
            id,
            position: LonLat::new(lon, lat).unwrap(),
            territory_id,
            owner_id,
        };
        let result = auto_assign(
            &index,
            &[
                at(5, 0.5, 0.5, Some(1), Some(10)), // already right
                at(3, 0.5, 0.5, None, Some(99)),    // joins 1, owner 10
                at(4, 1.5, 0.5, Some(1), Some(10)), // moves to 2, which has no rep
                at(6, 9.0, 9.0, Some(2), Some(7)),  // outside: territory cleared, owner kept
                at(7, 9.0, 9.0, None, None),        // outside, unchanged
            ],
        );
        assert_eq!(
            result.changes,
            vec![
                Reassignment {
                    account_id: 3,
                    from_territory: None,
                    to_territory: Some(1),
                    from_owner: Some(99),
                    to_owner: Some(10)
                },
                Reassignment {
                    account_id: 4,
                    from_territory: Some(1),
                    to_territory: Some(2),
                    from_owner: Some(10),
                    to_owner: None
                },
                Reassignment {
                    account_id: 6,
                    from_territory: Some(2),
                    to_territory: None,
                    from_owner: Some(7),
                    to_owner: Some(7)
                },
            ]
        );
        assert_eq!(result.unassigned, vec![6, 7]);
        assert!(result.ambiguous.is_empty());
    }
}
