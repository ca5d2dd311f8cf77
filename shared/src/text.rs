//! Folding free text for comparison: what the geocoder and the duplicate finder both need.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The words of `text`, lowercased and without diacritics (canonical decomposition, then the
/// combining marks dropped: "Cirebón" → "cirebon"). Any run of characters that are neither
/// letters nor digits separates words, except apostrophes, which are dropped ("Ma'ruf" →
/// "maruf").
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !matches!(c, '\'' | '’' | '`') && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_split_on_punctuation() {
        assert_eq!(
            words("  PT. Sinar-Jaya (Cirebón), Tbk "),
            ["pt", "sinar", "jaya", "cirebon", "tbk"]
        );
        assert_eq!(words("Toko Ma'ruf  No.8"), ["toko", "maruf", "no", "8"]);
        assert!(words(" ,.- ").is_empty());
    }
}
