import Foundation
import SwitchboardEngine
import SwitchboardGovernance
import SwitchboardModel
import SwitchboardSQLite
import SwitchboardServer

/// The management API's backend: the running hub's store, and the runtime of the workspace
/// revision running now.
struct HubManagement: ManagementBackend {
    let store: any HubStore
    let clock: any WallClock
    let health: StoreHealth
    let board: HealthBoard
    let host: RuntimeHost
    let duties: DutyGate

    /// The nodes sharing the store: each one's announcement, whether it is alive, the messages
    /// it holds leased and the duties it holds.
    func nodes() async throws -> JSONValue {
        let now = clock.now()
        let nodes = try await duties.coordination.nodes()
        let held = try await duties.coordination.duties().filter { $0.expiresAt > now }
        let leases = try await store.leaseCounts()
        return .array(
            nodes.map { node in
                .object([
                    "id": .string(node.id), "host": .string(node.host), "pid": .int(Int64(node.pid)),
                    "started_at": .string(Operations.time(node.startedAt)), "last_heartbeat": .string(Operations.time(node.heartbeatAt)),
                    "alive": .bool(node.expiresAt > now), "version": .string(node.version),
                    "messages_in_flight": .int(Int64(leases[node.id] ?? 0)),
                    "duties": .array(held.filter { $0.holder == node.id }.map { .string($0.name) }),
                ])
            })
    }

    var sessions: any SessionStore { store }

    var workspace: Workspace { host.runtime.workspace }
    var dispatcher: Dispatcher { host.runtime.dispatcher }

    var operations: Operations { Operations(store: store, clock: clock) }

    func authenticate(_ token: String) async -> APIToken? {
        guard let found = try? await store.token(hash: APIToken.hash(of: token)), !found.isRevoked else { return nil }
        return found
    }

    func currentToken(hash: String) async -> APIToken? {
        guard let found = try? await store.token(hash: hash), !found.isRevoked else { return nil }
        return found
    }

    func unreadiness() async -> String? {
        if health.isRefusingWrites {
            // Probe with a write of its own, so that a hub taken out of a load balancer's rotation
            // (and so sent nothing) still finds out when the disk has room again.
            do {
                _ = try await store.enqueue([], checkpoint: SourceCheckpoint(source: "_health", position: "\(clock.now())"))
                health.accepted()
            } catch {
                health.refused("probing the store for /api/v1/ready", error: error)
                return "the store refuses writes: \(health.lastError ?? "\(error)")"
            }
        }
        do { _ = try await store.counts() } catch { return "the store cannot be read: \(error)" }
        return nil
    }

    /// Each integration's health now, from the board, the store and the dispatcher.
    /// - Parameter counts: The store's messages by integration and state, as read by the caller.
    static func health(
        of workspace: Workspace, counts: [StateCount], store: any HubStore, dispatcher: Dispatcher, board: HealthBoard, clock: any WallClock
    ) async throws -> [String: IntegrationHealth] {
        let now = clock.now()
        var found: [String: IntegrationHealth] = [:]
        for integration in workspace.integrations {
            var oldestWait: Int64?
            if let objective = integration.slo?.deliveryLatency {
                let late = try await store.messages(
                    matching: MessageFilter(
                        integration: integration.id, states: [.ready, .leased, .retryWait], until: now - objective.milliseconds, limit: 1))
                oldestWait = late.first.map { now - $0.receivedAt }
            }
            let dead = counts.filter { $0.integration == integration.id && $0.state == .dead }.map(\.count).reduce(0, +)
            found[integration.id] = IntegrationHealth.assess(
                IntegrationHealth.Facts(
                    source: board.source(integration.id), sourceSystem: integration.source.system, target: board.target(integration.target.system),
                    targetSystem: integration.target.system, paused: dispatcher.isPaused(integration.id), deadLetters: dead,
                    oldestWaitMillis: oldestWait, objective: integration.slo?.deliveryLatency), now: now)
        }
        return found
    }

    func integrations() async throws -> JSONValue {
        let counts = try await store.counts()
        let health = try await Self.health(of: workspace, counts: counts, store: store, dispatcher: dispatcher, board: board, clock: clock)
        return .array(
            workspace.integrations.map { integration in
                var byState: [String: JSONValue] = [:]
                for count in counts where count.integration == integration.id { byState[count.state.description] = .int(Int64(count.count)) }
                return .object([
                    "id": .string(integration.id), "title": .string(integration.title),
                    "source": .string(integration.source.system), "target": .string(integration.target.system),
                    "state": .string(dispatcher.isPaused(integration.id) ? "paused" : "running"), "messages": .object(byState),
                    "health": (health[integration.id] ?? .ok).json,
                    "policy": .object([
                        "max_attempts": .int(Int64(integration.delivery.maxAttempts)),
                        "backoff": .string(
                            "\(integration.delivery.backoff.initial.spoken) to \(integration.delivery.backoff.maximum.spoken), × \(integration.delivery.backoff.multiplier)"
                        ),
                        "timeout": .string(integration.delivery.timeout.spoken),
                        // The number in force: the integration's own, or its target kind's default.
                        "concurrency": .int(Int64(concurrency(of: integration))),
                        "ordering_key": .string(integration.delivery.orderingKey.map(\.description) ?? "none (any order)"),
                        "idempotency_window": .string(integration.delivery.idempotencyWindow.spoken),
                    ]),
                ])
            })
    }

    /// Messages of the integration in flight at once, as its delivery loop runs it.
    func concurrency(of integration: Integration) -> Int {
        Route(
            integration: integration,
            defaultConcurrency: workspace.registry.kind(integration.target.kind)?
                .defaultConcurrency(connection: workspace.connection(of: integration.target.system)?.settings) ?? 16
        ).concurrency
    }

    func setPaused(_ integration: String, _ paused: Bool, actor: String) async throws -> JSONValue? {
        guard workspace.integration(integration) != nil else { return nil }
        let changed = try await store.setPaused(integration, paused, actor: actor, now: clock.now())
        dispatcher.setPaused(integration, paused)
        return .object(["id": .string(integration), "state": .string(paused ? "paused" : "running"), "changed": .bool(changed)])
    }

    func messages(_ filter: MessageFilter) async throws -> JSONValue {
        .array(try await store.messages(matching: filter).map(Operations.summary))
    }

    func message(id: String) async throws -> JSONValue? {
        try await operations.messageDetail(id: id)
    }

    func replay(_ filter: MessageFilter, ids: [String]?, actor: String) async throws -> [String] {
        let replayed = try await store.replay(matching: filter, ids: ids, now: clock.now(), actor: actor)
        if !replayed.isEmpty { dispatcher.wakeUp() }
        return replayed
    }

    func discard(_ filter: MessageFilter, ids: [String]?, reason: String?, actor: String) async throws -> [String] {
        try await store.discard(matching: filter, ids: ids, now: clock.now(), actor: actor, reason: reason)
    }

    func audit(_ filter: AuditFilter) async throws -> JSONValue {
        .array(try await store.audit(matching: filter).map(Operations.auditJSON))
    }

    func activity(since: Int64) async throws -> [AuditRecord] {
        try await store.audit(matching: AuditFilter(kinds: [.received, .delivered, .retry, .dead, .filtered], since: since, limit: 200_000))
    }

    func waiting() async throws -> [String: Int] {
        try await store.counts().filter { [.ready, .leased, .retryWait].contains($0.state) }
            .reduce(into: [:]) { $0[$1.integration, default: 0] += $1.count }
    }

    func landscape() -> (svg: String, checklist: String) {
        // The dashboard serves /integrations/ID, not the docs site's ID.html.
        (LandscapeDiagram.svg(workspace, linkPrefix: "/integrations/", linkSuffix: ""), SiteWriter.checklist(Checker.review(workspace)))
    }

    func now() -> Int64 { clock.now() }

    func revision() -> JSONValue { host.runtime.revision.json }

    func reload(actor: String) async -> Result<JSONValue, ReloadFailure> {
        switch await host.reload(actor: actor) {
        case .success(let report): return .success(report.json)
        case .failure(let refusal): return .failure(ReloadFailure(message: refusal.message, problems: refusal.problems))
        }
    }
}
