//! Process set-up that bounds memory: the C allocator's arenas, before any thread starts.
//!
//! glibc gives each thread that meets another in the allocator an arena of its own (up to
//! eight per core), and memory freed in one arena is not reused by the others: the runtime's
//! workers, blocking threads (parsing) and SurrealDB's background threads each held their own
//! high-water mark. Two arenas took a 10,000-event first sync's peak from 193 to 168 MB and
//! made it no slower (BENCHMARKS.md). `MALLOC_ARENA_MAX`, when set, still decides.

/// The multi-threaded runtime `rondo` and its benchmarks run on, built after the allocator is
/// set up.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    limit_allocator_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// At most two malloc arenas unless `MALLOC_ARENA_MAX` says otherwise.
fn limit_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes a glibc tunable; called before other threads exist.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Gives the memory the allocator holds free back to the system (glibc `malloc_trim`), on the
/// blocking pool without waiting for it: called after work that peaks and ends (a sync, a
/// connection's deletion), so what it freed stops counting against the process between runs.
/// Elsewhere a no-op. Must be called on the tokio runtime.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tokio::task::spawn_blocking(|| {
        // SAFETY: malloc_trim only releases free pages the allocator owns.
        unsafe {
            libc::malloc_trim(0);
        }
    });
}
