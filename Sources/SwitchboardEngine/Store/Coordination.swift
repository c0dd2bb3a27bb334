import Synchronization

/// One hub process sharing the store, as it announces itself.
public struct NodeRecord: Sendable, Hashable {
    /// Unique among the nodes of one store (`--node`); its leases are `id` and `id#N`.
    public var id: String
    public var host: String
    public var pid: Int
    /// Epoch ms.
    public var startedAt: Int64
    /// Epoch ms of its last heartbeat.
    public var heartbeatAt: Int64
    /// Epoch ms after which, without another heartbeat, it counts as dead: its leases and duties
    /// are taken over.
    public var expiresAt: Int64
    public var version: String

    public init(id: String, host: String, pid: Int, startedAt: Int64, heartbeatAt: Int64, expiresAt: Int64, version: String) {
        self.id = id
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.expiresAt = expiresAt
        self.version = version
    }
}

/// A named duty (housekeeping, polling one source) and the node holding it.
public struct DutyLease: Sendable, Hashable {
    public var name: String
    public var holder: String
    /// Epoch ms until which it is held unless renewed.
    public var expiresAt: Int64

    public init(name: String, holder: String, expiresAt: Int64) {
        self.name = name
        self.holder = holder
        self.expiresAt = expiresAt
    }
}

/// How the nodes of one store find one another and share duties that one node at a time does.
///
/// Guarantees: `holdDuty` grants a duty to one holder at a time: to the one holding it (which
/// renews it), or to anyone once it expired; a holder that stops renewing loses it after its
/// time to live. `heartbeat` refuses an id that another live process (another host or pid)
/// announced, so two nodes never share leases by mistake.
public protocol CoordinationStore: Sendable {
    /// Announces `node` or renews its announcement; false when its id is another live process's.
    /// `replacing`: the pid of an earlier process of the same host and id, known to have died
    /// (killed before its announcement expired), whose announcement this one replaces.
    func heartbeat(_ node: NodeRecord, replacing deadPID: Int?) async throws -> Bool
    /// The nodes announced, live or not, newest heartbeat first.
    func nodes() async throws -> [NodeRecord]
    /// Takes or renews a duty until `now + ttlMillis`; true when `holder` holds it now.
    func holdDuty(_ name: String, holder: String, now: Int64, ttlMillis: Int64) async throws -> Bool
    /// The duties held, with their holders.
    func duties() async throws -> [DutyLease]
    /// A node stopping gracefully: its announcement and duties go, so others take over at once.
    func leave(node id: String) async throws
}

/// The coordination of a store only one process uses (SQLite): every duty is this node's, and
/// the node list is this node.
public final class LocalCoordination: CoordinationStore {
    private let state = Mutex<(nodes: [String: NodeRecord], duties: [String: DutyLease])>(([:], [:]))

    public init() {}

    public func heartbeat(_ node: NodeRecord, replacing deadPID: Int?) async throws -> Bool {
        state.withLock { $0.nodes[node.id] = node }
        return true
    }

    public func nodes() async throws -> [NodeRecord] { state.withLock { Array($0.nodes.values) } }

    public func holdDuty(_ name: String, holder: String, now: Int64, ttlMillis: Int64) async throws -> Bool {
        state.withLock { state in
            if let held = state.duties[name], held.holder != holder, held.expiresAt > now { return false }
            state.duties[name] = DutyLease(name: name, holder: holder, expiresAt: now + ttlMillis)
            return true
        }
    }

    public func duties() async throws -> [DutyLease] { state.withLock { Array($0.duties.values) } }

    public func leave(node id: String) async throws {
        state.withLock { state in
            state.nodes[id] = nil
            state.duties = state.duties.filter { $0.value.holder != id }
        }
    }
}
