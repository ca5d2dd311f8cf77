//! Glue between the planning store and the pure planning code: previews of a draft (which
//! accounts move, each rep's totals before and after, validation) and balanced proposals built
//! from grid atoms over the accounts.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;
use wilayah_shared::LonLat;
use wilayah_shared::geojson::area_coordinates;
use wilayah_shared::planning::{
    AutoAssignment, BalanceError, BalanceOptions, DraftTerritory, Measure, Problem, Severity,
    VisitModel, auto_assign, balance, cells_multipolygon, compare_totals, grid_atoms,
    match_districts, validate_draft,
};
pub use wilayah_shared::planning::{RepTotals, Spreads};
use wilayah_shared::routing::Budget;
use wilayah_shared::spatial::{Territory, TerritoryIndex};

use crate::db::{PlanningAccount, PublishedTerritory, StaffName, account_points};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountMove {
    pub account_id: i64,
    pub account_name: String,
    pub from_territory: Option<String>,
    pub to_territory: Option<String>,
    pub from_owner_id: Option<i64>,
    pub to_owner_id: Option<i64>,
    pub from_owner: Option<String>,
    pub to_owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountRef {
    pub id: i64,
    pub name: String,
}

/// What publishing a draft would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    pub draft_id: i64,
    pub base_revision: i64,
    pub current_revision: i64,
    /// Someone published since the draft was made: publishing it would be refused.
    pub stale: bool,
    /// No errors among the problems and not stale.
    pub publishable: bool,
    pub problems: Vec<Problem>,
    pub moves: Vec<AccountMove>,
    /// Accounts that would be in no territory.
    pub unassigned: Vec<AccountRef>,
    /// Accounts in more than one territory (only while overlaps remain).
    pub ambiguous: Vec<AccountRef>,
    pub reps: Vec<RepTotals>,
    pub spread_before: Spreads,
    pub spread_after: Spreads,
}

/// The draft's territories for assignment: published ids kept, new ones numbered -1, -2, ...;
/// territories whose geometry does not read (validation reports them) are left out.
fn draft_index(territories: &[DraftTerritory]) -> (TerritoryIndex, HashMap<i64, String>) {
    let mut names = HashMap::new();
    let mut list = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, t) in territories.iter().enumerate() {
        let id =
            t.id.filter(|id| seen.insert(*id))
                .unwrap_or(-(i as i64) - 1);
        if let Ok(coords) = area_coordinates(&t.geometry.to_string(), "geometry")
            && let Ok(territory) = Territory::from_coords_lenient(id, t.owner_id, &coords)
        {
            names.insert(id, t.name.clone());
            list.push(territory);
        }
    }
    let index = TerritoryIndex::new(list).expect("ids were made unique above");
    (index, names)
}

/// Staff ids whose role is sales_rep.
pub fn sales_rep_ids(staff: &[StaffName]) -> Vec<i64> {
    staff
        .iter()
        .filter(|s| s.role == "sales_rep")
        .map(|s| s.id)
        .collect()
}

/// The preview of publishing `territories` over the accounts as they are.
pub struct PreviewInput<'a> {
    pub draft_id: i64,
    pub base_revision: i64,
    pub current_revision: i64,
    pub territories: &'a [DraftTerritory],
    pub published: &'a [PublishedTerritory],
    pub accounts: &'a [PlanningAccount],
    pub staff: &'a [StaffName],
    pub model: VisitModel,
}

pub fn preview(input: PreviewInput<'_>) -> Preview {
    let problems = validate_draft(input.territories);
    let (index, draft_names) = draft_index(input.territories);
    let points = account_points(input.accounts);
    let AutoAssignment {
        changes,
        unassigned,
        ambiguous,
    } = auto_assign(&index, &points);
    let published_names: HashMap<i64, &str> = input
        .published
        .iter()
        .map(|t| (t.id, t.name.as_str()))
        .collect();
    let staff_name = |id: Option<i64>| {
        id.map(|id| {
            input
                .staff
                .iter()
                .find(|s| s.id == id)
                .map_or_else(|| format!("#{id}"), |s| s.name.clone())
        })
    };
    let account_by_id: HashMap<i64, &PlanningAccount> =
        input.accounts.iter().map(|a| (a.id, a)).collect();
    let account_ref = |id: i64| AccountRef {
        id,
        name: account_by_id
            .get(&id)
            .map_or_else(String::new, |a| a.name.clone()),
    };
    let moves: Vec<AccountMove> = changes
        .iter()
        .map(|c| AccountMove {
            account_id: c.account_id,
            account_name: account_ref(c.account_id).name,
            from_territory: c.from_territory.map(|t| {
                published_names
                    .get(&t)
                    .map_or_else(|| format!("#{t}"), |n| n.to_string())
            }),
            to_territory: c.to_territory.and_then(|t| draft_names.get(&t).cloned()),
            from_owner_id: c.from_owner,
            to_owner_id: c.to_owner,
            from_owner: staff_name(c.from_owner),
            to_owner: staff_name(c.to_owner),
        })
        .collect();

    let new_owner: HashMap<i64, Option<i64>> =
        changes.iter().map(|c| (c.account_id, c.to_owner)).collect();
    let with_owner = |after: bool| -> Vec<(Option<i64>, LonLat, i64)> {
        input
            .accounts
            .iter()
            .filter_map(|a| {
                let owner = if after {
                    new_owner.get(&a.id).copied().unwrap_or(a.owner_id)
                } else {
                    a.owner_id
                };
                Some((owner, LonLat::new(a.lon, a.lat).ok()?, a.revenue_minor))
            })
            .collect()
    };
    let sales_reps = sales_rep_ids(input.staff);
    let totals = compare_totals(
        &with_owner(false),
        &with_owner(true),
        &input.model,
        &sales_reps,
        |owner| staff_name(owner).unwrap_or_default(),
    );
    let stale = input.base_revision != input.current_revision;
    Preview {
        draft_id: input.draft_id,
        base_revision: input.base_revision,
        current_revision: input.current_revision,
        stale,
        publishable: !stale && problems.iter().all(|p| p.severity != Severity::Error),
        problems,
        moves,
        unassigned: unassigned.into_iter().map(account_ref).collect(),
        ambiguous: ambiguous
            .into_iter()
            .map(|o| account_ref(o.point))
            .collect(),
        spread_before: totals.spread_before,
        spread_after: totals.spread_after,
        reps: totals.reps,
    }
}

/// What a balancing run is asked to do.
#[derive(Debug, Clone)]
pub struct BalanceRequest {
    pub measure: Measure,
    pub rep_ids: Vec<i64>,
    pub seed: u64,
    pub time_budget: Duration,
    pub max_iterations: u64,
    pub compactness_weight: f64,
    /// Grid cell size of the atoms, degrees.
    pub cell_deg: f64,
    /// Start from the reps' current accounts (when each rep has some) instead of fresh seeds.
    pub from_current: bool,
    pub model: VisitModel,
}

/// Starts of the search from fresh seeds per balancing request.
const RESTARTS: usize = 8;

/// A balanced proposal: the draft territories and how the search went.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceProposal {
    #[serde(skip)]
    pub territories: Vec<DraftTerritory>,
    pub atoms: usize,
    pub started_from: &'static str,
    /// The chosen measure per district where the search started and at its end (districts in
    /// rep order).
    pub district_start_spread: f64,
    pub district_spread: f64,
    pub district_start_cv: f64,
    pub district_cv: f64,
    pub iterations: u64,
    pub moves: u64,
    pub elapsed_ms: u64,
}

/// Balances the accounts between `request.rep_ids` (each must exist; checked by the caller).
/// Each rep's territory keeps the id and name of the published territory they own, if any.
pub fn propose_balance(
    request: &BalanceRequest,
    accounts: &[PlanningAccount],
    published: &[PublishedTerritory],
    staff: &[StaffName],
) -> Result<BalanceProposal, BalanceError> {
    let started = Instant::now();
    let positioned: Vec<(&PlanningAccount, LonLat)> = accounts
        .iter()
        .filter_map(|a| Some((a, LonLat::new(a.lon, a.lat).ok()?)))
        .collect();
    let grid = grid_atoms(
        &positioned
            .iter()
            .map(|(a, p)| (*p, a.revenue_minor as f64))
            .collect::<Vec<_>>(),
        request.cell_deg,
    );
    let k = request.rep_ids.len();
    // The rep holding most of each atom's accounts now.
    let mut votes: Vec<BTreeMap<usize, usize>> = vec![BTreeMap::new(); grid.atoms.len()];
    for ((a, _), &atom) in positioned.iter().zip(&grid.atom_of) {
        if let Some(rep) = a
            .owner_id
            .and_then(|o| request.rep_ids.iter().position(|&r| r == o))
        {
            *votes[atom].entry(rep).or_default() += 1;
        }
    }
    let current: Vec<Option<usize>> = votes
        .iter()
        .map(|v| {
            v.iter()
                .max_by_key(|(r, n)| (**n, usize::MAX - **r))
                .map(|(r, _)| *r)
        })
        .collect();
    let initial = if request.from_current {
        fill_from_neighbours(&current, &grid.adjacency, k)
    } else {
        None
    };
    let started_from = if initial.is_some() {
        "current"
    } else {
        "seeds"
    };
    let options = BalanceOptions {
        measure: request.measure,
        visit_model: request.model,
        seed: request.seed,
        compactness_weight: request.compactness_weight,
    };
    // Several starts (seeds seed, seed+1, …) inside the time budget; the lowest spread wins
    // (then the lowest CV). Each start alone is deterministic, and so is the choice.
    let starts = if initial.is_some() { 1 } else { RESTARTS };
    let mut best: Option<wilayah_shared::planning::BalanceResult> = None;
    for attempt in 0..starts {
        let remaining = request.time_budget.saturating_sub(started.elapsed());
        if attempt > 0 && remaining.is_zero() {
            break;
        }
        let mut clock = move || started.elapsed();
        let mut budget = Budget::iterations(request.max_iterations)
            .with_time_limit(remaining / (starts - attempt) as u32, &mut clock);
        let options = BalanceOptions {
            seed: request.seed.wrapping_add(attempt as u64),
            ..options
        };
        let result = balance(
            &grid.atoms,
            &grid.adjacency,
            k,
            initial.as_deref(),
            options,
            &mut budget,
        )?;
        let better = best
            .as_ref()
            .is_none_or(|b| (result.spread, result.cv) < (b.spread, b.cv));
        if better {
            best = Some(result);
        }
    }
    let result = best.expect("at least one start ran");
    let rep_of: Vec<usize> = if initial.is_some() {
        (0..k).collect()
    } else {
        match_districts(&grid.atoms, &result.district_of, &current, k)
    };
    let mut territories = Vec::with_capacity(k);
    for (district, &rep_index) in rep_of.iter().enumerate() {
        let rep = request.rep_ids[rep_index];
        let cells: Vec<(i64, i64)> = (0..grid.atoms.len())
            .filter(|&i| result.district_of[i] == district)
            .map(|i| grid.cells[i])
            .collect();
        let own = published.iter().find(|t| t.owner_id == Some(rep));
        let rep_name = staff
            .iter()
            .find(|s| s.id == rep)
            .map_or_else(|| format!("#{rep}"), |s| s.name.clone());
        territories.push(DraftTerritory {
            id: own.map(|t| t.id),
            name: own.map_or_else(|| format!("Territory of {rep_name}"), |t| t.name.clone()),
            owner_id: Some(rep),
            geometry: wilayah_shared::planning::geometry(&cells_multipolygon(
                &cells,
                grid.cell_deg,
            )),
        });
    }
    territories.sort_by_key(|t| (t.id.is_none(), t.id, t.owner_id));
    Ok(BalanceProposal {
        territories,
        atoms: grid.atoms.len(),
        started_from,
        district_start_spread: result.start_spread,
        district_spread: result.spread,
        district_start_cv: result.start_cv,
        district_cv: result.cv,
        iterations: result.iterations,
        moves: result.moves,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// The current assignment completed: atoms no rep holds take a neighbour's district. `None`
/// when a rep holds no atom at all (then the search starts from seeds).
fn fill_from_neighbours(
    current: &[Option<usize>],
    adjacency: &[Vec<usize>],
    k: usize,
) -> Option<Vec<usize>> {
    let mut held = vec![false; k];
    for r in current.iter().flatten() {
        held[*r] = true;
    }
    if held.iter().any(|h| !h) {
        return None;
    }
    let mut district: Vec<Option<usize>> = current.to_vec();
    loop {
        let mut changed = false;
        for i in 0..district.len() {
            if district[i].is_none()
                && let Some(d) = adjacency[i].iter().find_map(|&j| district[j])
            {
                district[i] = Some(d);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    district.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_accounts_balance_between_the_eight_reps() {
        let data = crate::demo::generate(
            crate::DEMO_SEED,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        );
        let staff: Vec<StaffName> = data
            .staff
            .iter()
            .enumerate()
            .map(|(i, s)| StaffName {
                id: i as i64 + 1,
                name: s.name.clone(),
                role: s.role.as_str().to_owned(),
            })
            .collect();
        let accounts: Vec<PlanningAccount> = data
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| PlanningAccount {
                id: i as i64 + 1,
                name: a.name.clone(),
                lon: a.position.lon(),
                lat: a.position.lat(),
                territory_id: None,
                owner_id: Some(a.owner as i64 + 1),
                revenue_minor: a.revenue_minor,
            })
            .collect();
        let reps = sales_rep_ids(&staff);
        for measure in Measure::ALL {
            let request = BalanceRequest {
                measure,
                rep_ids: reps.clone(),
                seed: 7,
                time_budget: Duration::from_secs(5),
                max_iterations: 200_000,
                compactness_weight: BalanceOptions::default().compactness_weight,
                cell_deg: 0.1,
                from_current: false,
                model: VisitModel::default(),
            };
            let p = propose_balance(&request, &accounts, &[], &staff).unwrap();
            eprintln!(
                "{measure:?}: {} atoms, spread {:.3} → {:.3}, cv {:.3} → {:.3}, {} moves, {} iterations",
                p.atoms,
                p.district_start_spread,
                p.district_spread,
                p.district_start_cv,
                p.district_cv,
                p.moves,
                p.iterations
            );
            assert!(p.district_spread <= p.district_start_spread);
            assert_eq!(p.territories.len(), reps.len());
        }
    }
}
