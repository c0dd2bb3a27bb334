import CMalloc

/// Keeps glibc's allocator from handing freed memory back to the kernel after every burst.
///
/// glibc trims a thread's heap as soon as 128 KiB at its top are free, with `madvise`, which
/// flushes the TLB of every core; the next allocation faults the pages back in. The hub's delivery
/// path allocates and frees on several threads (SQLite's writer, the event loops, the concurrency
/// pool) and spent about a third of its CPU in that cycle: draining a backlog into nginx went from
/// 4,300 to 6,300 messages/s with the threshold raised (docs/performance.md). The cost is that up
/// to `trimThreshold` of freed memory per heap stays with the process.
enum MallocTuning {
    /// 64 MiB per heap. Setting it also fixes glibc's mmap threshold at its 128 KiB default.
    static let trimThreshold: Int32 = 64 << 20

    /// Applies the setting once per process; a no-op where the C library is not glibc.
    static func apply() {
        _ = applied
    }

    private static let applied: Bool = cmalloc_set_trim_threshold(trimThreshold) == 1
}
