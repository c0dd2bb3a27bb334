import Dispatch

/// Runs `work`, which blocks its thread (waits for a child process, reads a pipe), on a thread
/// of its own rather than one of the concurrency pool's, and returns what it returned.
///
/// The pool has one thread per core: on a two-core machine, two tests waiting synchronously for
/// `createdb` or a `switchboard` command would stop every other test's tasks, its budgets' and
/// clocks' included, for as long as they wait. Dispatch's global queue adds threads as needed.
public func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
