//! Cross-sell: association rules from order baskets ("customers who buy X also buy Y") by an
//! Apriori itemset search, and per-customer recommendations from look-alike customers.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The products of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    pub customer: i64,
    pub products: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RuleSettings {
    /// Share of baskets that must hold an itemset, in (0, 1].
    pub min_support: f64,
    pub min_confidence: f64,
    /// Largest itemset searched (2 gives pair rules only).
    pub max_itemset: usize,
}

/// `antecedent → consequent`: of the baskets holding the antecedent, `confidence` also hold the
/// consequent; `lift` is that against the consequent's share of all baskets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub antecedent: Vec<i64>,
    pub consequent: i64,
    /// Baskets holding antecedent and consequent.
    pub baskets: usize,
    pub support: f64,
    pub confidence: f64,
    pub lift: f64,
}

/// Frequent itemsets (products sorted) with their basket counts, level by level: a set of size
/// `k` is counted only if all its subsets of size `k − 1` are frequent.
pub fn frequent_itemsets(
    baskets: &[Basket],
    min_support: f64,
    max_itemset: usize,
) -> Vec<(Vec<i64>, usize)> {
    let sets: Vec<Vec<i64>> = baskets
        .iter()
        .map(|b| {
            b.products
                .iter()
                .copied()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        })
        .collect();
    let min_count = ((min_support * sets.len() as f64) - 1e-9).ceil().max(1.0) as usize;
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for s in &sets {
        for &p in s {
            *counts.entry(p).or_default() += 1;
        }
    }
    let mut level: Vec<(Vec<i64>, usize)> = counts
        .into_iter()
        .filter(|&(_, c)| c >= min_count)
        .map(|(p, c)| (vec![p], c))
        .collect();
    let mut out = Vec::new();
    for _ in 1..max_itemset {
        if level.is_empty() {
            break;
        }
        let frequent: HashSet<&[i64]> = level.iter().map(|(s, _)| s.as_slice()).collect();
        let mut candidates: Vec<Vec<i64>> = Vec::new();
        for (i, (a, _)) in level.iter().enumerate() {
            for (b, _) in &level[i + 1..] {
                let k = a.len();
                if a[..k - 1] != b[..k - 1] {
                    break; // the level is sorted: no later set shares a's prefix
                }
                let mut c = a.clone();
                c.push(b[k - 1]);
                let all_subsets_frequent =
                    (0..c.len()).all(|skip| frequent.contains(without(&c, skip).as_slice()));
                if all_subsets_frequent {
                    candidates.push(c);
                }
            }
        }
        let mut next: Vec<(Vec<i64>, usize)> = candidates
            .into_iter()
            .map(|c| {
                let count = sets.iter().filter(|s| is_subset(&c, s)).count();
                (c, count)
            })
            .filter(|&(_, count)| count >= min_count)
            .collect();
        next.sort();
        out.append(&mut level);
        level = next;
    }
    out.append(&mut level);
    out
}

/// `set` without its element at `skip`.
fn without(set: &[i64], skip: usize) -> Vec<i64> {
    set.iter()
        .enumerate()
        .filter(|&(j, _)| j != skip)
        .map(|(_, &p)| p)
        .collect()
}

/// Both sorted.
fn is_subset(small: &[i64], big: &[i64]) -> bool {
    let mut it = big.iter();
    small.iter().all(|x| it.any(|y| y == x))
}

/// Rules with one product as consequent from the frequent itemsets, strongest lift first
/// (then confidence, then products).
pub fn association_rules(baskets: &[Basket], settings: &RuleSettings) -> Vec<Rule> {
    let n = baskets.len() as f64;
    let itemsets = frequent_itemsets(baskets, settings.min_support, settings.max_itemset.max(2));
    let count: HashMap<&[i64], usize> = itemsets.iter().map(|(s, c)| (s.as_slice(), *c)).collect();
    let mut rules = Vec::new();
    for (set, together) in itemsets.iter().filter(|(s, _)| s.len() >= 2) {
        for (skip, &consequent) in set.iter().enumerate() {
            let antecedent = without(set, skip);
            let confidence = *together as f64 / count[antecedent.as_slice()] as f64;
            if confidence + 1e-12 < settings.min_confidence {
                continue;
            }
            let consequent_share = count[[consequent].as_slice()] as f64 / n;
            rules.push(Rule {
                antecedent,
                consequent,
                baskets: *together,
                support: *together as f64 / n,
                confidence,
                lift: confidence / consequent_share,
            });
        }
    }
    rules.sort_by(|a, b| {
        b.lift
            .total_cmp(&a.lift)
            .then(b.confidence.total_cmp(&a.confidence))
            .then_with(|| (&a.antecedent, a.consequent).cmp(&(&b.antecedent, b.consequent)))
    });
    rules
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub product: i64,
    /// Sum of the similarities of the look-alikes who buy it.
    pub score: f64,
    /// How many of the look-alikes buy it.
    pub neighbours: usize,
}

/// Customers' product sets, for look-alike recommendations: similarity is the cosine of the
/// product sets, `|A ∩ B| / √(|A| |B|)`.
pub struct LookAlikes {
    products: BTreeMap<i64, Vec<i64>>,
    buyers: HashMap<i64, Vec<i64>>,
}

impl LookAlikes {
    pub fn new(baskets: &[Basket]) -> Self {
        let mut sets: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for b in baskets {
            sets.entry(b.customer)
                .or_default()
                .extend(b.products.iter().copied());
        }
        let mut buyers: HashMap<i64, Vec<i64>> = HashMap::new();
        for (&c, s) in &sets {
            for &p in s {
                buyers.entry(p).or_default().push(c);
            }
        }
        LookAlikes {
            products: sets
                .into_iter()
                .map(|(c, s)| (c, s.into_iter().collect()))
                .collect(),
            buyers,
        }
    }

    /// The `k` most similar other customers (similarity > 0; ties by customer id).
    pub fn neighbours(&self, customer: i64, k: usize) -> Vec<(i64, f64)> {
        let Some(mine) = self.products.get(&customer) else {
            return Vec::new();
        };
        let mut shared: HashMap<i64, usize> = HashMap::new();
        for p in mine {
            for &other in &self.buyers[p] {
                if other != customer {
                    *shared.entry(other).or_default() += 1;
                }
            }
        }
        let mut sims: Vec<(i64, f64)> = shared
            .into_iter()
            .map(|(other, common)| {
                (
                    other,
                    common as f64 / ((mine.len() * self.products[&other].len()) as f64).sqrt(),
                )
            })
            .collect();
        sims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        sims.truncate(k);
        sims
    }

    /// Products the `k` look-alikes buy and `customer` does not, best first (then by product id),
    /// at most `limit`.
    pub fn recommend(&self, customer: i64, k: usize, limit: usize) -> Vec<Recommendation> {
        let Some(mine) = self.products.get(&customer) else {
            return Vec::new();
        };
        let mut scores: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
        for (other, sim) in self.neighbours(customer, k) {
            for p in &self.products[&other] {
                if mine.binary_search(p).is_err() {
                    let e = scores.entry(*p).or_default();
                    e.0 += sim;
                    e.1 += 1;
                }
            }
        }
        let mut out: Vec<Recommendation> = scores
            .into_iter()
            .map(|(product, (score, neighbours))| Recommendation {
                product,
                score,
                neighbours,
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.product.cmp(&b.product)));
        out.truncate(limit);
        out
    }

    /// How many customers have bought anything.
    pub fn customers(&self) -> usize {
        self.products.len()
    }

    /// The work list of cross-selling: each customer's best `per_customer` recommendations
    /// ([`Self::recommend`] with `k` look-alikes), all together, most promising first (by
    /// score, then customer, then product).
    pub fn offers(&self, k: usize, per_customer: usize) -> Vec<(i64, Recommendation)> {
        let mut out: Vec<(i64, Recommendation)> = self
            .products
            .keys()
            .flat_map(|&c| {
                self.recommend(c, k, per_customer)
                    .into_iter()
                    .map(move |r| (c, r))
            })
            .collect();
        out.sort_by(|a, b| {
            b.1.score
                .total_cmp(&a.1.score)
                .then(a.0.cmp(&b.0))
                .then(a.1.product.cmp(&b.1.product))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn random_baskets(seed: u64, n: usize, products: usize) -> Vec<Basket> {
        let mut rng = SplitMix64::new(seed);
        (0..n)
            .map(|i| Basket {
                customer: (i % 25) as i64,
                // Low ids more popular, so itemsets of every size are frequent.
                products: (0..1 + rng.below(5))
                    .map(|_| (rng.below(products) * rng.below(products) / products) as i64)
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn rules_match_brute_force() {
        let baskets = random_baskets(3, 200, 8);
        let settings = RuleSettings {
            min_support: 0.03,
            min_confidence: 0.2,
            max_itemset: 3,
        };
        let got = association_rules(&baskets, &settings);
        // Every itemset of up to 3 of the 8 products, counted directly.
        let has = |b: &Basket, items: &[i64]| items.iter().all(|i| b.products.contains(i));
        let count = |items: &[i64]| baskets.iter().filter(|b| has(b, items)).count();
        let n = baskets.len() as f64;
        let mut expected = Vec::new();
        let mut sets: Vec<Vec<i64>> = Vec::new();
        for a in 0..8 {
            for b in a + 1..8 {
                sets.push(vec![a, b]);
                for c in b + 1..8 {
                    sets.push(vec![a, b, c]);
                }
            }
        }
        for s in sets {
            let together = count(&s);
            if (together as f64) < settings.min_support * n - 1e-9 || together == 0 {
                continue;
            }
            for &y in &s {
                let x: Vec<i64> = s.iter().copied().filter(|&i| i != y).collect();
                let confidence = together as f64 / count(&x) as f64;
                if confidence >= settings.min_confidence {
                    expected.push((x, y, together, confidence / (count(&[y]) as f64 / n)));
                }
            }
        }
        assert!(
            expected.iter().any(|e| e.0.len() == 2),
            "the test data must have 3-item rules"
        );
        let mut got_keys: Vec<_> = got
            .iter()
            .map(|r| (r.antecedent.clone(), r.consequent, r.baskets))
            .collect();
        let mut expected_keys: Vec<_> = expected.iter().map(|e| (e.0.clone(), e.1, e.2)).collect();
        got_keys.sort();
        expected_keys.sort();
        assert_eq!(got_keys, expected_keys);
        for r in &got {
            let e = expected
                .iter()
                .find(|e| e.0 == r.antecedent && e.1 == r.consequent)
                .unwrap();
            assert!((r.lift - e.3).abs() < 1e-12);
        }
        assert!(got.windows(2).all(|w| w[0].lift >= w[1].lift));
    }

    #[test]
    fn recommendations_match_brute_force() {
        let baskets = random_baskets(5, 120, 12);
        let la = LookAlikes::new(&baskets);
        let set = |c: i64| -> BTreeSet<i64> {
            baskets
                .iter()
                .filter(|b| b.customer == c)
                .flat_map(|b| b.products.iter().copied())
                .collect()
        };
        for customer in 0..25 {
            let mine = set(customer);
            let mut sims: Vec<(i64, f64)> = (0..25)
                .filter(|&o| o != customer)
                .map(|o| {
                    let theirs = set(o);
                    (
                        o,
                        mine.intersection(&theirs).count() as f64
                            / ((mine.len() * theirs.len()) as f64).sqrt(),
                    )
                })
                .filter(|&(_, s)| s > 0.0)
                .collect();
            sims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            sims.truncate(5);
            let got = la.neighbours(customer, 5);
            assert_eq!(got.len(), sims.len());
            for (g, e) in got.iter().zip(&sims) {
                assert_eq!(g.0, e.0);
                assert!((g.1 - e.1).abs() < 1e-12);
            }
            for r in la.recommend(customer, 5, 100) {
                assert!(!mine.contains(&r.product));
                let score: f64 = sims
                    .iter()
                    .filter(|(o, _)| set(*o).contains(&r.product))
                    .map(|s| s.1)
                    .sum();
                assert!((r.score - score).abs() < 1e-12);
            }
        }
        // A customer who buys 1 and 2, a look-alike who also buys 3: 3 is recommended.
        let small = [
            Basket {
                customer: 1,
                products: vec![1, 2],
            },
            Basket {
                customer: 2,
                products: vec![1, 2, 3],
            },
            Basket {
                customer: 3,
                products: vec![9],
            },
        ];
        let r = LookAlikes::new(&small).recommend(1, 3, 10);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].product, r[0].neighbours), (3, 1));
    }

    #[test]
    fn the_offers_are_every_customers_own_recommendations_best_first() {
        let baskets = random_baskets(7, 300, 12);
        let look_alikes = LookAlikes::new(&baskets);
        let offers = look_alikes.offers(5, 2);
        let mut expected: Vec<(i64, Recommendation)> = Vec::new();
        for c in 0..25 {
            for r in look_alikes.recommend(c, 5, 2) {
                expected.push((c, r));
            }
        }
        assert!(!expected.is_empty());
        assert_eq!(offers.len(), expected.len());
        for e in &expected {
            assert!(offers.contains(e), "{e:?} missing");
        }
        assert!(offers.windows(2).all(|w| w[0].1.score >= w[1].1.score));
        assert_eq!(look_alikes.customers(), 25);
    }
}
