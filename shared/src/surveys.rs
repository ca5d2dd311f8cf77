//! Customer satisfaction (issue 17 item 6, docs/service.md): a short survey after a case is
//! resolved or a visit is done, a score from 1 (very unhappy) to 5 (very happy) with a comment,
//! and its results per technician, case category and territory. CSAT is the usual share of
//! answers that are 4 or 5.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::account::ValidationError;

pub const MAX_COMMENT_CHARS: usize = 2_000;

/// An answer as a customer (or the technician's tablet, for them) sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

impl Answer {
    /// A score from 1 to 5 and a comment within its length (blank: none).
    pub fn validate(self) -> Result<(u8, Option<String>), ValidationError> {
        let score = u8::try_from(self.score)
            .ok()
            .filter(|s| (1..=5).contains(s))
            .ok_or_else(|| {
                ValidationError::new("score", "must be a whole number from 1 to 5")
                    .because("out_of_range")
                    .with("min", 1)
                    .with("max", 5)
            })?;
        let comment = self
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
        {
            return Err(ValidationError::new(
                "comment",
                format!("longer than {MAX_COMMENT_CHARS} characters"),
            )
            .because("too_long")
            .with("max", MAX_COMMENT_CHARS));
        }
        Ok((score, comment))
    }
}

/// What the results are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// The technician of the visit or the staff member the case was assigned to.
    Staff,
    /// The case's category (visits have none).
    Category,
    /// The account's territory.
    Territory,
}

impl Grouping {
    pub const ALL: [Grouping; 3] = [Grouping::Staff, Grouping::Category, Grouping::Territory];

    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Staff => "staff",
            Grouping::Category => "category",
            Grouping::Territory => "territory",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// The answers of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub answered: u32,
    pub mean: f64,
    /// Share of answers of 4 or 5.
    pub csat: f64,
    /// Answers per score, 1 to 5.
    pub counts: [u32; 5],
}

impl Summary {
    /// `None` without answers.
    pub fn of(scores: impl IntoIterator<Item = u8>) -> Option<Self> {
        let mut counts = [0u32; 5];
        for s in scores {
            if (1..=5).contains(&s) {
                counts[usize::from(s) - 1] += 1;
            }
        }
        let answered: u32 = counts.iter().sum();
        if answered == 0 {
            return None;
        }
        let total: u32 = counts
            .iter()
            .enumerate()
            .map(|(i, c)| (i as u32 + 1) * c)
            .sum();
        Some(Summary {
            answered,
            mean: f64::from(total) / f64::from(answered),
            csat: f64::from(counts[3] + counts[4]) / f64::from(answered),
            counts,
        })
    }
}

/// The answers grouped by key (in key order), each group summarised.
pub fn summarise<K: Ord>(answers: impl IntoIterator<Item = (K, u8)>) -> Vec<(K, Summary)> {
    let mut groups: BTreeMap<K, Vec<u8>> = BTreeMap::new();
    for (key, score) in answers {
        groups.entry(key).or_default().push(score);
    }
    groups
        .into_iter()
        .filter_map(|(k, scores)| Summary::of(scores).map(|s| (k, s)))
        .collect()
}

/// The survey e-mail's subject and body, Indonesian first then English: who served
/// (`account`'s supplier, us), what about (the case's subject, or the visit), the link.
pub fn invitation(
    account: &str,
    contact: &str,
    case_subject: Option<&str>,
    link: &str,
) -> (String, String) {
    let greeting = if contact.trim().is_empty() {
        String::new()
    } else {
        format!(" {}", contact.trim())
    };
    let (about_id, about_en) = match case_subject {
        Some(subject) => (
            format!("laporan Anda \"{subject}\""),
            format!("your report \"{subject}\""),
        ),
        None => (
            "kunjungan teknisi kami".to_owned(),
            "our technician's visit".to_owned(),
        ),
    };
    let subject = "Bagaimana layanan kami? / How did we do?".to_owned();
    let body = format!(
        "Halo{greeting},\n\nBagaimana kepuasan {account} atas penanganan {about_id}? \
         Beri nilai 1 sampai 5 (satu klik) di:\n{link}\n\n-- English --\n\
         Hello{greeting},\n\nHow satisfied is {account} with how we handled {about_en}? \
         Rate us from 1 to 5 (one click) at:\n{link}\n"
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn scores_out_of_range_and_long_comments_are_refused_by_field() {
        let answer = |score, comment: Option<&str>| Answer {
            score,
            comment: comment.map(str::to_owned),
        };
        assert_eq!(
            answer(5, Some("  ok ")).validate().unwrap(),
            (5, Some("ok".into()))
        );
        assert_eq!(answer(1, Some("   ")).validate().unwrap(), (1, None));
        for bad in [0, 6, -1, 300] {
            assert_eq!(answer(bad, None).validate().unwrap_err().field, "score");
        }
        let long = "x".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            answer(3, Some(&long)).validate().unwrap_err().field,
            "comment"
        );
    }

    #[test]
    fn summaries_equal_a_direct_count() {
        let mut rng = SplitMix64::new(17);
        for _ in 0..200 {
            let n = rng.below(60);
            let answers: Vec<(u8, u8)> = (0..n)
                .map(|_| (rng.below(4) as u8, 1 + rng.below(5) as u8))
                .collect();
            let got = summarise(answers.iter().copied());
            for (key, summary) in &got {
                let mine: Vec<u8> = answers
                    .iter()
                    .filter(|a| a.0 == *key)
                    .map(|a| a.1)
                    .collect();
                assert_eq!(summary.answered as usize, mine.len());
                let mean = mine.iter().map(|&s| f64::from(s)).sum::<f64>() / mine.len() as f64;
                assert!((summary.mean - mean).abs() < 1e-12);
                let happy = mine.iter().filter(|&&s| s >= 4).count() as f64 / mine.len() as f64;
                assert!((summary.csat - happy).abs() < 1e-12);
                for s in 1..=5u8 {
                    assert_eq!(
                        summary.counts[usize::from(s) - 1] as usize,
                        mine.iter().filter(|&&x| x == s).count()
                    );
                }
            }
            let keys: Vec<u8> = got.iter().map(|g| g.0).collect();
            let mut expected: Vec<u8> = answers.iter().map(|a| a.0).collect();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(keys, expected);
        }
        assert_eq!(Summary::of([]), None);
    }

    #[test]
    fn the_invitation_names_what_it_is_about_and_carries_the_link() {
        let (_, body) = invitation("Toko A", "Ana", Some("Mesin bocor"), "http://x/survey/ab");
        assert!(body.starts_with("Halo Ana,"));
        assert!(body.contains("\"Mesin bocor\"") && body.contains("Toko A"));
        assert_eq!(body.matches("http://x/survey/ab").count(), 2);
        let (_, visit) = invitation("Toko A", "", None, "L");
        assert!(visit.starts_with("Halo,") && visit.contains("technician's visit"));
    }
}
