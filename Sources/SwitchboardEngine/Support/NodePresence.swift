import Foundation
import Logging
import ServiceLifecycle

/// What a node asks before doing a duty one node at a time does: "do I hold it?".
///
/// Each ask takes or renews the duty for `ttl` (`CoordinationStore.holdDuty`), so a node that
/// stops asking (it died, or hangs) loses the duty after its time to live and another node's
/// next ask takes it. A store that cannot be reached answers no: a duty is skipped rather than
/// done twice.
public struct DutyGate: Sendable {
    public let coordination: any CoordinationStore
    /// The node asking.
    public let node: String
    private let clock: any WallClock

    public init(coordination: any CoordinationStore, node: String, clock: any WallClock) {
        self.coordination = coordination
        self.node = node
        self.clock = clock
    }

    /// A gate for a single process: every duty is its own.
    public static func local(clock: any WallClock) -> DutyGate {
        DutyGate(coordination: LocalCoordination(), node: "local", clock: clock)
    }

    /// True when this node holds `duty` until at least `ttl` from now.
    public func holds(_ duty: String, ttl: Duration) async -> Bool {
        (try? await coordination.holdDuty(duty, holder: node, now: clock.now(), ttlMillis: ttl.milliseconds)) ?? false
    }
}

/// This node's announcement in the store: renewed every `interval` for `ttl`, withdrawn on a
/// graceful stop, so that the other nodes see it (the dashboard, `/api/v1/nodes`) and take over
/// its leases and duties once it stops renewing.
public final class NodePresence: Service, Sendable {
    public let coordination: any CoordinationStore
    public let record: NodeRecord
    private let clock: any WallClock
    private let interval: Duration
    private let ttl: Duration
    private let logger: Logger

    /// - Parameters:
    ///   - interval: Between heartbeats. Default 3 s.
    ///   - ttl: How long a heartbeat keeps the node alive. Default 15 s: a node killed is taken
    ///     over at most this long after its last heartbeat.
    public init(
        coordination: any CoordinationStore, node: String, version: String, clock: any WallClock, logger: Logger,
        interval: Duration = .seconds(3), ttl: Duration = .seconds(15)
    ) {
        self.coordination = coordination
        let now = clock.now()
        record = NodeRecord(
            id: node, host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier), startedAt: now,
            heartbeatAt: now, expiresAt: now + ttl.milliseconds, version: version)
        self.clock = clock
        self.interval = interval
        self.ttl = ttl
        self.logger = logger
    }

    /// Announces the node; throws a sentence when another live process announced the same id.
    public func announce() async throws {
        guard try await beat() else {
            let holder = try await coordination.nodes().first { $0.id == record.id }
            // The same host's earlier process under this id, killed: its announcement goes.
            if let holder, holder.host == record.host, kill(pid_t(holder.pid), 0) != 0, errno == ESRCH,
                try await beat(replacing: holder.pid)
            {
                logger.notice("took over the id of this node's earlier process, which stopped without leaving", metadata: ["sb.node": "\(record.id)", "sb.pid": "\(holder.pid)"])
                return
            }
            let who = holder.map { "\($0.host) (pid \($0.pid))" } ?? "another process"
            throw NodeInUse(description: "node id '\(record.id)' is in use by \(who), which is still running; give each node its own id (--node or SWITCHBOARD_NODE)")
        }
    }

    private func beat(replacing deadPID: Int? = nil) async throws -> Bool {
        var record = record
        let now = clock.now()
        record.heartbeatAt = now
        record.expiresAt = now + ttl.milliseconds
        return try await coordination.heartbeat(record, replacing: deadPID)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await self.clock.sleep(until: self.clock.now() + self.interval.milliseconds) } catch { break }
                do {
                    if try await !self.beat() {
                        self.logger.critical("another process announced this node's id", metadata: ["sb.node": "\(self.record.id)"])
                    }
                } catch {
                    self.logger.warning("heartbeat failed", metadata: ["sb.node": "\(self.record.id)", "sb.error": "\(error)"])
                }
            }
        }
        try? await coordination.leave(node: record.id)
    }

    public struct NodeInUse: Error, CustomStringConvertible {
        public var description: String
    }
}
