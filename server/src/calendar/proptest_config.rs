//! How the parsers' property tests run: `cases` by default (kept small enough for CI in a debug
//! build), `PROPTEST_CASES` for longer hunts; failures shrink, but not for minutes.
use proptest::prelude::ProptestConfig;

pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        max_shrink_iters: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
