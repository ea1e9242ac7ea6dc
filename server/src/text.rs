//! Text rules used everywhere: folding for search and name matching, email normalisation,
//! capitalisation. One place each, so lookups agree.
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lowercase, accents removed, whitespace collapsed: "  Zoë  Ångström" → "zoe angstrom".
pub fn fold(s: &str) -> String {
    let stripped: String = s.nfd().filter(|c| !is_combining_mark(*c)).collect();
    stripped
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lookup form of an email address: trimmed, lowercase, without `mailto:`.
pub fn normalize_email(email: &str) -> String {
    let lower = email.trim().to_lowercase();
    lower
        .strip_prefix("mailto:")
        .unwrap_or(&lower)
        .trim()
        .to_string()
}

/// First letter uppercase, the rest as is: "jane" → "Jane".
pub fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_normalize_for_lookups() {
        assert_eq!(
            normalize_email("  MAILTO:Jane@Example.ORG "),
            "jane@example.org"
        );
        assert_eq!(normalize_email("jane@example.org"), "jane@example.org");
    }

    #[test]
    fn capitalizes_the_first_letter_only() {
        assert_eq!(capitalize("émile"), "Émile");
        assert_eq!(capitalize("mcDonald"), "McDonald");
        assert_eq!(capitalize(""), "");
    }

    #[test]
    fn folds_case_accents_and_spaces() {
        assert_eq!(fold("  Zoë   ÅNGSTRÖM "), "zoe angstrom");
        assert_eq!(fold("José Müller-Łukasz"), "jose muller-łukasz");
        assert_eq!(fold(""), "");
    }
}
