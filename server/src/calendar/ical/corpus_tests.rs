//! The vendored real-world corpus (`server/tests/data/ics`, see its SOURCES.md): our parser
//! against the `icalendar` crate's, and against Python's EXPECTED.tsv.
use std::path::{Path, PathBuf};

use super::lexer::{parse_tree, Component};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ics")
}

/// Every .ics file of the corpus, as (path relative to the corpus, text).
fn corpus() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("corpus folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("ics"))
            {
                out.push(path);
            }
        }
    }
    let root = corpus_dir();
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("readable");
            let rel = p.strip_prefix(&root).expect("below root");
            (
                rel.to_string_lossy().replace('\\', "/"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect()
}

fn count_ours(c: &Component) -> usize {
    c.children
        .iter()
        .map(|k| usize::from(k.name == "VEVENT") + count_ours(k))
        .sum()
}

fn count_theirs(c: &icalendar::parser::Component) -> usize {
    c.components
        .iter()
        .map(|k| usize::from(k.name.as_str().eq_ignore_ascii_case("VEVENT")) + count_theirs(k))
        .sum()
}

/// VEVENTs in icalendar's reading, or None when it rejects the text.
fn theirs(text: &str) -> Option<usize> {
    let unfolded = icalendar::parser::unfold(text);
    let parsed = std::panic::catch_unwind(|| {
        icalendar::parser::read_calendar(&unfolded).map(|cal| {
            cal.components
                .iter()
                .map(|k| {
                    usize::from(k.name.as_str().eq_ignore_ascii_case("VEVENT")) + count_theirs(k)
                })
                .sum::<usize>()
        })
    });
    parsed.ok()?.ok()
}

#[test]
fn icalendar_crate_versus_our_lexer() {
    let files = corpus();
    assert!(files.len() >= 284, "corpus has {} files", files.len());
    let (mut both, mut only_ours, mut only_theirs, mut neither) = (0, 0, 0, 0);
    let mut count_mismatch = Vec::new();
    for (name, text) in &files {
        let ours = parse_tree(text)
            .ok()
            .filter(|t| !t.children.is_empty())
            .map(|t| count_ours(&t));
        match (ours, theirs(text)) {
            (Some(a), Some(b)) => {
                both += 1;
                if a != b {
                    count_mismatch.push(format!("{name}: ours {a}, icalendar {b}"));
                }
            }
            (Some(_), None) => {
                only_ours += 1;
                let why = icalendar::parser::read_calendar(&icalendar::parser::unfold(text))
                    .err()
                    .unwrap_or_default();
                let why: String = why.split_whitespace().collect::<Vec<_>>().join(" ");
                println!(
                    "only ours accepts {name}: {}",
                    why.get(..160).unwrap_or(&why)
                );
            }
            (None, Some(_)) => {
                only_theirs += 1;
                println!("only icalendar accepts {name}");
            }
            (None, None) => {
                neither += 1;
                println!("neither accepts {name}");
            }
        }
    }
    println!(
        "{} files: both accept {both}, only ours {only_ours}, only icalendar {only_theirs}, \
         neither {neither}; VEVENT count differs on {}",
        files.len(),
        count_mismatch.len()
    );
    // The basis of the decision in `lexer.rs`: icalendar's parser reads nothing that ours does
    // not, and reads it the same; ours also reads the files it rejects.
    assert_eq!(only_theirs, 0, "files only icalendar reads");
    assert_eq!(neither, 0, "files nobody reads");
    assert!(count_mismatch.is_empty(), "{count_mismatch:#?}");
    assert!(only_ours > 0 && both + only_ours == files.len());
}

/// EXPECTED.tsv rows: file → (parse_ok, occurrences in the fixed window, or None for ERR/empty).
fn expected() -> Vec<(String, bool, Option<usize>)> {
    let text = std::fs::read_to_string(corpus_dir().join("EXPECTED.tsv")).expect("EXPECTED.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("file\t"))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                cols[0].to_string(),
                cols[1] == "true",
                cols.get(3).and_then(|c| c.parse().ok()),
            )
        })
        .collect()
}

/// Our occurrences in the fixed window 2000-01-01..2030-01-01 (floating times read as UTC).
fn our_count(text: &str) -> Result<usize, super::IcalError> {
    use chrono::TimeZone;
    let from = chrono::Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    let to = chrono::Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    super::parse_calendar(text, from, to, chrono_tz::Tz::UTC).map(|o| o.events.len())
}

#[test]
fn occurrence_counts_match_python() {
    let files: std::collections::HashMap<String, String> = corpus().into_iter().collect();
    let mut diffs = Vec::new();
    let mut same = 0;
    for (name, ok, want) in expected() {
        let text = &files[&name];
        let got = our_count(text);
        let want_s = want.map_or("ERR".to_string(), |w| w.to_string());
        let got_s = match &got {
            Ok(n) => n.to_string(),
            Err(e) => format!("Err({e})"),
        };
        if ok && want.is_some() && got.as_ref().ok() == want.as_ref() {
            same += 1;
        } else {
            diffs.push(format!("{name}\tpython {ok}/{want_s}\tours {got_s}"));
        }
    }
    println!("same {same}, different {}", diffs.len());
    for d in &diffs {
        println!("{d}");
    }
}
