import Foundation
import Logging
import ServiceLifecycle
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel
import SwitchboardSQLite
import SwitchboardServer
import Synchronization

/// Options of a running hub beyond what the workspace says.
public struct HubOptions: Sendable {
    /// Overrides `server.port`; 0 picks a free port. Nil: the workspace's.
    public var port: Int?
    /// Overrides `server.host`.
    public var host: String?
    /// Overrides the delivery loop's settings; the grace comes from `server.shutdown_grace` unless set here.
    public var dispatcher: DispatcherConfiguration?
    /// Stop on SIGTERM and SIGINT. Default true; tests stop the hub with `shutdown()` instead.
    public var handleSignals: Bool = true
    /// Deliver messages. Default true; false accepts and stores only (the ingest benchmark, or
    /// holding everything while a target is down for maintenance).
    public var deliver: Bool = true
    /// How often alert rules look at the audit log. Default 30 s.
    public var alertInterval: Duration = .seconds(30)

    public init(port: Int? = nil, host: String? = nil, dispatcher: DispatcherConfiguration? = nil, handleSignals: Bool = true, deliver: Bool = true) {
        self.port = port
        self.host = host
        self.dispatcher = dispatcher
        self.handleSignals = handleSignals
        self.deliver = deliver
    }
}

/// A workspace the hub cannot start with, in one sentence (a connector that cannot be made).
public struct HubSetupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The hub stopped before its listener accepted connections.
public struct HubStoppedError: Error, CustomStringConvertible {
    public var description: String { "the hub stopped before it listened" }
}

/// A running hub: the store, the HTTP listener, the delivery loop and housekeeping, as one
/// service group, built from the workspace and its connector registry: each system's connector
/// is made by its kind, by name, so nothing here names a kind. Graceful shutdown stops the listener first, then lets deliveries finish.
public final class Hub: Sendable {
    public let workspace: Workspace
    public let store: SQLiteMessageStore
    private let group: ServiceGroup
    /// Each system's connector, shut down after the services stop.
    private let connectors: [any Connector]
    private let alertSender: HTTPConnector
    private let dispatcher: Dispatcher?
    /// The bound port, or why the hub stopped before it listened.
    private let listening = Latch<Result<Int, any Error>>()

    /// Opens the store and wires the services; nothing runs until `run()`.
    public init(workspace: Workspace, options: HubOptions = HubOptions(), logger: Logger) throws {
        MallocTuning.apply()
        self.workspace = workspace
        let landscape = workspace.landscape
        let store = try SQLiteMessageStore(path: Self.storePath(workspace), durability: landscape.store.durability)
        self.store = store
        let clock = SystemClock()
        let exporter = MetricsExporter()
        let metrics = HubMetrics(factory: exporter.factory)
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
        for id in systems.sorted() {
            guard let system = landscape.system(id), let runtime = registry.runtime(system.kind) else { continue }
            let connection = workspace.connection(of: id)
            let enforced = runtime.enforcedLimits(system.limits, connection: connection?.settings)
            let budget = SystemBudget(systemID: id, limits: enforced.limits, clock: clock, margin: enforced.margin)
            budgets[id] = budget
            guard let connection else { continue }
            let concurrency = routes.filter { $0.targetSystem == id }.map(\.concurrency).reduce(0, +)
            let context = ConnectorContext(
                system: system, connection: connection, budget: budget, maxConnections: max(8, concurrency), root: workspace.root)
            do {
                let connector = try runtime.makeConnector(context)
                made[id] = connector
                connectors[id] = BatchingConnector.wrapping(connector)
            } catch {
                throw HubSetupError(error.message)
            }
        }
        self.connectors = Array(made.values)
        var dispatcherConfiguration = options.dispatcher ?? DispatcherConfiguration()
        if options.dispatcher == nil {
            dispatcherConfiguration.shutdownGrace = landscape.server.shutdownGrace
            dispatcherConfiguration.maxInterruptions = landscape.server.maxInterruptions
        }
        let health = StoreHealth(clock: clock, logger: logger)
        let board = HealthBoard()
        let dispatcher = Dispatcher(
            store: store, routes: routes, connectors: connectors, budgets: budgets, clock: clock,
            configuration: dispatcherConfiguration, metrics: metrics, logger: logger, health: health, board: board)
        self.dispatcher = options.deliver ? dispatcher : nil
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
                        logger: logger, board: board, onAccepted: { dispatcher.wakeUp() }))
            } catch {
                throw HubSetupError(error.message)
            }
        }
        var formats: [String: WebhookFormat] = [:]
        for route in routes {
            guard let name = route.integration.source.webhook?.format, name != "json" else { continue }
            formats[name] = registry.webhookDecoder(name)
        }
        let ingestor = Ingestor(
            routes: routes, formats: formats, store: store, clock: clock, maxBodyBytes: landscape.server.maxBodyBytes, metrics: metrics,
            logger: logger, health: health, board: board,
            onAccepted: { dispatcher.wakeUp() })
        let listening = self.listening
        let address = (host: options.host ?? landscape.server.host, port: options.port ?? landscape.server.port)
        var serverConfiguration = HubServer.Configuration(host: address.host, port: address.port, tls: landscape.server.tls)
        serverConfiguration.idleTimeout = landscape.server.idleTimeout
        serverConfiguration.readTimeout = landscape.server.readTimeout
        serverConfiguration.maxConnections = landscape.server.maxConnections
        serverConfiguration.trustedProxies = landscape.server.trustedProxies
        let server = Listener(
            try HubServer.application(
                configuration: serverConfiguration,
                ingestor: ingestor, metrics: exporter, logger: logger,
                management: HubManagement(workspace: workspace, store: store, dispatcher: dispatcher, clock: clock, health: health, board: board),
                onListening: { port in listening.set(.success(port)) }),
            host: address.host, port: address.port, remedy: "set server.port")
        let alertSender = HTTPConnector(maxConnectionsPerHost: 4)
        self.alertSender = alertSender
        let alerts = AlertNotifier(
            rules: landscape.alerts, store: store, sender: alertSender, clock: clock, interval: options.alertInterval, logger: logger,
            board: board, integrations: workspace.integrations.map { ($0.id, $0.source.system, $0.target.system) },
            objectives: Dictionary(
                workspace.integrations.compactMap { integration in integration.slo?.deliveryLatency.map { (integration.id, $0) } },
                uniquingKeysWith: { first, _ in first }),
            dashboardURL: landscape.server.publicURL)
        let housekeeping = Housekeeping(
            store: store, metrics: metrics, clock: clock, retention: landscape.store.retention,
            integrations: routes.map(\.id), logger: logger,
            board: board, targets: Dictionary(routes.map { ($0.id, $0.targetSystem) }, uniquingKeysWith: { first, _ in first }),
            assess: { try await HubManagement.health(of: workspace, store: store, dispatcher: dispatcher, board: board, clock: clock) })
        // Started in this order, stopped in reverse: the listener and the change pollers stop
        // taking in first, then housekeeping, then the dispatcher finishes in-flight deliveries.
        group = ServiceGroup(
            configuration: .init(
                services: (options.deliver ? [.init(service: dispatcher)] : []) + [.init(service: housekeeping)]
                    + (landscape.alerts.isEmpty ? [] : [.init(service: alerts)]) + [.init(service: server)]
                    + pollers.map { .init(service: $0) },
                gracefulShutdownSignals: options.handleSignals ? [.sigterm, .sigint] : [],
                logger: logger))
    }

    /// The store file of a workspace: `store.path` relative to the workspace root.
    public static func storePath(_ workspace: Workspace) -> String {
        storePath(root: workspace.root, settings: workspace.landscape.store)
    }

    static func storePath(root: URL, settings: StoreSettings) -> String {
        settings.path.hasPrefix("/") ? settings.path : root.appendingPathComponent(settings.path).path
    }

    /// Runs until a signal or `shutdown()`, then stops gracefully.
    public func run() async throws {
        do {
            try await group.run()
        } catch {
            listening.set(.failure(error))
            try? await shutDownConnectors()
            throw error
        }
        listening.set(.failure(HubStoppedError()))
        try await shutDownConnectors()
    }

    private func shutDownConnectors() async throws {
        for connector in connectors { try? await connector.shutdown() }
        try await alertSender.shutdown()
    }

    /// What the last graceful stop of deliveries did; nil before one (or without delivery, `--hold`).
    public var shutdownReport: ShutdownReport? { dispatcher?.lastShutdown }

    /// The port the listener bound; waits until it listens, and throws why the hub stopped if it
    /// stopped first (its port taken: a `ListenFailure`).
    public func listeningPort() async throws -> Int { try await listening.value().get() }

    /// Starts a graceful shutdown.
    public func shutdown() async { await group.triggerGracefulShutdown() }
}
