//! How the parsers' property tests run: `cases` by default (kept small enough for CI in a debug
//! build), `PROPTEST_CASES` for longer hunts; failures shrink, but not for minutes. The inputs
//! are the same on every run (a fixed seed), so CI time is predictable and a failure repeats;
//! `PROPTEST_RNG_SEED` explores others.
use proptest::prelude::ProptestConfig;
use proptest::test_runner::RngSeed;

/// "Rondo" in ASCII.
const SEED: u64 = 0x52_6f_6e_64_6f;

pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        max_shrink_iters: 256,
        failure_persistence: None,
        rng_seed: match std::env::var("PROPTEST_RNG_SEED") {
            Ok(seed) => seed.parse().map(RngSeed::Fixed).unwrap_or(RngSeed::Random),
            Err(_) => RngSeed::Fixed(SEED),
        },
        ..ProptestConfig::default()
    }
}
