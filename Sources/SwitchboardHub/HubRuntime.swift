import Foundation
import Logging
import ServiceLifecycle
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel
import SwitchboardSQLite
import SwitchboardServer

/// What the hub runs for one revision of the workspace: its routes, each system's connector and
/// budget, the dispatcher, the change pollers, the webhook ingestor, housekeeping and alerts.
/// A reload builds the next one beside it and retires this one, which stops claiming and lets its
/// deliveries in flight finish; the store, the listener and the health board outlive them all.
final class HubRuntime: Sendable {
    let workspace: Workspace
    let revision: WorkspaceRevision
    let dispatcher: Dispatcher
    let ingestor: Ingestor
    private let group: ServiceGroup
    /// Each system's connector, shut down once this runtime's services have stopped.
    private let connectors: [any Connector]

    /// What every runtime shares with the hub.
    struct Shared: Sendable {
        var store: any HubStore
        var clock: any WallClock
        var metrics: HubMetrics
        var storeHealth: StoreHealth
        var board: HealthBoard
        var alertSender: HTTPConnector
        var options: HubOptions
        var logger: Logger
        /// Traces; read at start, so a reload keeps the tracer it started with.
        var tracing: MessageTracing = .off
        /// Synchronous integrations' callers, waiting across a reload too.
        var replies = ReplyBoard()
        /// This node's id, and the duties it shares with the other nodes of the store.
        var duties: DutyGate
    }

    /// Makes each system's connector and wires the services; nothing runs until `run()`.
    /// Throws `HubSetupError` when a connector cannot be made.
    /// - Parameter generation: 0 for the runtime the hub starts with, then one more per reload:
    ///   its delivery loop's leases are its own (`DispatcherConfiguration.generation`).
    init(workspace: Workspace, revision: WorkspaceRevision, shared: Shared, generation: Int = 0) throws {
        self.workspace = workspace
        self.revision = revision
        let landscape = workspace.landscape
        let (store, clock, metrics, logger, board) = (shared.store, shared.clock, shared.metrics, shared.logger, shared.board)
        let registry = workspace.registry
        let routes = workspace.integrations.map { integration in
            Route(
                integration: integration,
                defaultConcurrency: registry.kind(integration.target.kind)?
                    .defaultConcurrency(connection: workspace.connection(of: integration.target.system)?.settings) ?? 16)
        }
        // Systems the hub talks to: targets, and the systems of polled sources.
        let polled = routes.filter { $0.integration.source.poll != nil }
        let systems = Set(routes.map(\.targetSystem)).union(polled.map(\.integration.source.system))
        var budgets: [String: SystemBudget] = [:]
        // As each kind made it (a polled source reads through it), and as the dispatcher sends
        // through it: wrapped for batching when the connector asks.
        var made: [String: any Connector] = [:]
        var connectors: [String: any Connector] = [:]
        var pools: [String: (budget: SystemBudget, size: Int)] = [:]
        // Other nodes send to the same systems: each budget is this node's share of the limits.
        let sharing = shared.store as? any BudgetCoordination
        for id in systems.sorted() {
            guard let system = landscape.system(id), let runtime = registry.runtime(system.kind) else { continue }
            let connection = workspace.connection(of: id)
            let enforced = runtime.enforcedLimits(system.limits, connection: connection?.settings)
            let limited = enforced.limits.maxConcurrent != nil || enforced.limits.maxRequests != nil || enforced.limits.maxExecution != nil
            let budget = SystemBudget(
                systemID: id, limits: enforced.limits, clock: clock, margin: enforced.margin, shared: sharing != nil && limited)
            budgets[id] = budget
            guard let connection else { continue }
            let concurrency = routes.filter { $0.targetSystem == id }.map(\.concurrency).reduce(0, +)
            let context = ConnectorContext(
                system: system, connection: connection, budget: budget, maxConnections: max(8, concurrency), root: workspace.root)
            do {
                let connector = try runtime.makeConnector(context)
                made[id] = connector
                connectors[id] = BatchingConnector.wrapping(connector)
                pools[id] = (budget, connector.connectionPoolSize ?? context.maxConnections)
            } catch {
                for connector in made.values { Task { try? await connector.shutdown() } }
                throw HubSetupError(error.message)
            }
        }
        self.connectors = Array(made.values)
        var dispatcherConfiguration = shared.options.dispatcher ?? DispatcherConfiguration()
        if shared.options.dispatcher == nil {
            dispatcherConfiguration.shutdownGrace = landscape.server.shutdownGrace
            dispatcherConfiguration.maxInterruptions = landscape.server.maxInterruptions
        }
        dispatcherConfiguration.generation = generation
        dispatcherConfiguration.nodeID = shared.duties.node
        dispatcherConfiguration.revision = revision.id
        dispatcherConfiguration.recordRequests = landscape.store.auditRequests
        let dispatcher = Dispatcher(
            store: store, routes: routes, connectors: connectors, budgets: budgets, clock: clock,
            configuration: dispatcherConfiguration, metrics: metrics, logger: logger, health: shared.storeHealth, board: board,
            tracing: shared.tracing, replies: shared.replies)
        self.dispatcher = dispatcher
        var pollers: [ChangePoller] = []
        for route in polled {
            guard let poll = route.integration.source.poll, let system = landscape.system(route.integration.source.system),
                let runtime = registry.runtime(system.kind), let connector = made[system.id]
            else { continue }
            do {
                let feed = try runtime.makeFeed(poll, connector: connector)
                pollers.append(
                    ChangePoller(
                        route: route, feed: feed, store: store, clock: clock, interval: poll.settings.interval, metrics: metrics,
                        logger: logger, board: board, duties: shared.duties, onAccepted: { dispatcher.wakeUp() }))
            } catch {
                throw HubSetupError(error.message)
            }
        }
        var formats: [String: WebhookFormat] = [:]
        for route in routes {
            guard let name = route.integration.source.webhook?.format, name != "json" else { continue }
            formats[name] = registry.webhookDecoder(name)
        }
        ingestor = Ingestor(
            routes: routes, formats: formats, store: store, clock: clock, maxBodyBytes: landscape.server.maxBodyBytes, metrics: metrics,
            logger: logger, health: shared.storeHealth, board: board, tracing: shared.tracing, replies: shared.replies,
            onAccepted: { dispatcher.wakeUp() })
        let alerts = AlertNotifier(
            rules: landscape.alerts, store: store, sender: shared.alertSender, clock: clock, interval: shared.options.alertInterval,
            logger: logger, board: board, integrations: workspace.integrations.map { ($0.id, $0.source.system, $0.target.system) },
            objectives: Dictionary(
                workspace.integrations.compactMap { integration in integration.slo?.deliveryLatency.map { (integration.id, $0) } },
                uniquingKeysWith: { first, _ in first }),
            dashboardURL: landscape.server.publicURL, duties: shared.duties)
        let housekeeping = Housekeeping(
            store: store, metrics: metrics, clock: clock, retention: landscape.store.retention, integrations: routes.map(\.id), logger: logger,
            board: board, targets: Dictionary(routes.map { ($0.id, $0.targetSystem) }, uniquingKeysWith: { first, _ in first }), pools: pools,
            duties: shared.duties,
            assess: { counts in
                try await HubManagement.health(of: workspace, counts: counts, store: store, dispatcher: dispatcher, board: board, clock: clock)
            })
        // Started in this order, stopped in reverse: the change pollers stop taking in first,
        // then alerts and housekeeping, then the dispatcher finishes in-flight deliveries, and
        // last the budget shares are handed back. Signals are the hub's to handle.
        let keeper = sharing.map { coordination in
            BudgetShareKeeper(
                coordination: coordination, budgets: budgets.keys.sorted().compactMap { budgets[$0] }, node: shared.duties.node,
                runtime: "\(generation)-\(UInt32.random(in: 0...UInt32.max))", clock: clock, logger: logger)
        }
        group = ServiceGroup(
            configuration: .init(
                services: (keeper.map { [.init(service: $0)] } ?? []) + (shared.options.deliver ? [.init(service: dispatcher)] : []) + [.init(service: housekeeping)]
                    + (landscape.alerts.isEmpty ? [] : [.init(service: alerts)]) + pollers.map { .init(service: $0) },
                gracefulShutdownSignals: [], logger: logger))
    }

    /// Runs the services until `retire()` or the hub's graceful shutdown, then shuts the
    /// connectors down.
    func run() async throws {
        do {
            try await group.run()
        } catch {
            await shutDownConnectors()
            throw error
        }
        await shutDownConnectors()
    }

    /// Shuts the connectors down when the runtime never ran (the hub stopped before it started).
    func abandon() async { await shutDownConnectors() }

    private func shutDownConnectors() async {
        for connector in connectors { try? await connector.shutdown() }
    }

    /// Stops claiming and taking in; deliveries in flight finish within the grace.
    func retire() async { await group.triggerGracefulShutdown() }
}
