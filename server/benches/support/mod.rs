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

/// The process's resident memory now, in MB: anonymous (heap, buffers) and file-backed (mapped
/// database files, which the kernel can drop and read again).
pub fn rss_now_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("RssAnon:"), field("RssFile:"))
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
