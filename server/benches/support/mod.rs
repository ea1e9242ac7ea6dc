//! What the benchmarks share: the process's memory and BENCHMARKS.md's sections.

/// The process's peak resident memory (VmHWM), in MB.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Prints `table` and puts it in BENCHMARKS.md between `<!-- {section}-bench:begin -->` and
/// its end marker.
pub fn publish(section: &str, table: &str) {
    println!("{table}");
    let (begin, end) = (
        format!("<!-- {section}-bench:begin -->"),
        format!("<!-- {section}-bench:end -->"),
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let (Some(a), Some(b)) = (text.find(&begin), text.find(&end)) {
            let updated = format!("{}{begin}\n{table}{}", &text[..a], &text[b..]);
            std::fs::write(&path, updated).unwrap();
            eprintln!("updated {}", path.display());
        }
    }
}
