import Logging
import Synchronization

/// Failed sign-ins (a dashboard token, an API bearer token) per client address, with a back-off.
///
/// Guarantees: an address gets `freeFailures` (5) wrong tokens without delay; each further one
/// makes it wait twice as long as the last before its next try (1 s, 2 s, 4 s, ... at most
/// 15 min), answered `429` with `Retry-After`; a success or an hour without failures starts it
/// again. Every failure is logged with the address and the door, never with the token. At most
/// 10,000 addresses are remembered (the oldest forgotten first), so a flood of addresses cannot
/// grow the hub's memory.
final class SignInThrottle: Sendable {
    private struct Entry {
        var failures: Int
        var lastFailure: Int64
        var blockedUntil: Int64
    }

    static let freeFailures = 5
    static let longestWaitMillis: Int64 = 15 * 60_000
    static let forgetAfterMillis: Int64 = 60 * 60_000
    static let maxAddresses = 10_000

    private let entries = Mutex<[String: Entry]>([:])
    private let now: @Sendable () -> Int64
    private let logger: Logger
    private let trustedProxies: Set<String>

    /// - Parameter trustedProxies: Addresses of reverse proxies whose `X-Forwarded-For` names the
    ///   client (`server.trusted_proxies`); without them every client behind a proxy would share
    ///   the proxy's address, and one guesser would lock out everyone.
    init(logger: Logger, trustedProxies: [String] = [], now: @escaping @Sendable () -> Int64) {
        self.logger = logger
        self.now = now
        self.trustedProxies = Set(trustedProxies)
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the right-most
    /// address in `X-Forwarded-For` that is not a trusted proxy (the left ones the client may forge).
    func client(peer: String, forwardedFor: String?) -> String {
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) } ?? peer
    }

    /// Seconds `address` must still wait before its next try; nil when it may try now.
    func wait(_ address: String) -> Int? {
        let time = now()
        return entries.withLock { entries in
            guard let entry = entries[address], entry.blockedUntil > time else { return nil }
            return Int((entry.blockedUntil - time + 999) / 1_000)
        }
    }

    /// A wrong or revoked token from `address` at `door` (`dashboard`, `api`).
    func failed(_ address: String, door: String) {
        let time = now()
        let failures = entries.withLock { entries -> Int in
            if entries.count >= Self.maxAddresses, entries[address] == nil {
                entries = entries.filter { time - $0.value.lastFailure < Self.forgetAfterMillis }
                if entries.count >= Self.maxAddresses, let oldest = entries.min(by: { $0.value.lastFailure < $1.value.lastFailure }) {
                    entries[oldest.key] = nil
                }
            }
            var entry = entries[address] ?? Entry(failures: 0, lastFailure: time, blockedUntil: 0)
            if time - entry.lastFailure >= Self.forgetAfterMillis { entry.failures = 0 }
            entry.failures += 1
            entry.lastFailure = time
            let over = entry.failures - Self.freeFailures
            if over > 0 { entry.blockedUntil = time + min(Self.longestWaitMillis, 1_000 << min(over - 1, 20)) }
            entries[address] = entry
            return entry.failures
        }
        logger.notice(
            "sign-in with a wrong or revoked token", metadata: ["sb.client": "\(address)", "sb.door": "\(door)", "sb.failures": "\(failures)"])
    }

    /// A valid token from `address`: its failures are forgotten.
    func succeeded(_ address: String) {
        entries.withLock { _ = $0.removeValue(forKey: address) }
    }
}
