//! Quantile classes for colouring a map by a metric: `k` classes holding about equal numbers of
//! accounts, with the class limits for the legend.

use serde::{Deserialize, Serialize};

/// Class limits and the class of each value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classes {
    /// `breaks[i]` is the smallest value of class `i + 1` (ascending, at most `k − 1` of them;
    /// fewer when values repeat so much that classes would be empty).
    pub breaks: Vec<f64>,
    /// The class (`0..=breaks.len()`) of each value, in input order.
    pub class_of: Vec<usize>,
}

/// Quantile classes of `values` (finite numbers): the breaks are the values at ranks `n·i/k`;
/// equal values always share a class, and a value's class is the number of breaks at or below
/// it. Non-finite values go into class 0.
pub fn quantile_classes(values: &[f64], k: usize) -> Classes {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mut breaks: Vec<f64> = Vec::new();
    if n > 0 && k > 1 {
        for i in 1..k {
            let b = sorted[(n * i / k).min(n - 1)];
            if b > sorted[0] && breaks.last().is_none_or(|&last| b > last) {
                breaks.push(b);
            }
        }
    }
    let class_of = values
        .iter()
        .map(|v| {
            if v.is_finite() {
                breaks.partition_point(|b| b <= v)
            } else {
                0
            }
        })
        .collect();
    Classes { breaks, class_of }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_hold_equal_shares_and_equal_values_share_a_class() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        let c = quantile_classes(&values, 5);
        assert_eq!(c.breaks, vec![3.0, 5.0, 7.0, 9.0]);
        assert_eq!(c.class_of, vec![0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);

        let c = quantile_classes(&[5.0, 1.0, 5.0, 5.0, 5.0, 9.0], 3);
        assert_eq!(c.breaks, vec![5.0]);
        assert_eq!(c.class_of, vec![1, 0, 1, 1, 1, 1]);

        let c = quantile_classes(&[2.0, 2.0], 5);
        assert!(c.breaks.is_empty());
        assert_eq!(c.class_of, vec![0, 0]);
        assert_eq!(quantile_classes(&[], 5).class_of, Vec::<usize>::new());
        assert_eq!(quantile_classes(&[f64::NAN, 1.0], 2).class_of, vec![0, 0]);
    }

    #[test]
    fn every_class_is_within_its_limits() {
        let values: Vec<f64> = (0..997)
            .map(|i| ((i * 7919) % 1000) as f64 - 300.0)
            .collect();
        let c = quantile_classes(&values, 5);
        assert_eq!(c.breaks.len(), 4);
        for (v, &class) in values.iter().zip(&c.class_of) {
            if class > 0 {
                assert!(*v >= c.breaks[class - 1]);
            }
            if class < c.breaks.len() {
                assert!(*v < c.breaks[class]);
            }
        }
        let mut counts = [0usize; 5];
        for &class in &c.class_of {
            counts[class] += 1;
        }
        assert!(
            counts.iter().all(|&n| (190..=210).contains(&n)),
            "{counts:?}"
        );
    }
}
