//! Text folding shared by search and (later) name matching: case- and accent-insensitive.
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

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_case_accents_and_spaces() {
        assert_eq!(fold("  Zoë   ÅNGSTRÖM "), "zoe angstrom");
        assert_eq!(fold("José Müller-Łukasz"), "jose muller-łukasz");
        assert_eq!(fold(""), "");
    }
}
