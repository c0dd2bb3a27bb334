import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel
import SwitchboardServer
import SwitchboardSQLite

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

/// A running hub: the store, the HTTP listener, the delivery loop and housekeeping, as one
/// service group. Graceful shutdown stops the listener first, then lets deliveries finish.
public final class Hub: Sendable {
    public let workspace: Workspace
    public let store: SQLiteMessageStore
    private let group: ServiceGroup
    private let connector: HTTPConnector
    private let dataverseConnectors: [DataverseConnector]
    private let listening = Latch<Int>()

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
        let routes = workspace.integrations.map { Route(integration: $0, connection: workspace.connection(of: $0.target.system)) }
        // Systems the hub talks to: targets, and Dataverse tables it reads changes from.
        let changeSources = routes.filter { $0.integration.source.changes != nil }
        let systems = Set(routes.map(\.targetSystem)).union(changeSources.map(\.integration.source.system))
        var budgets: [String: SystemBudget] = [:]
        for system in systems {
            let limits = landscape.system(system)?.limits ?? SystemLimits()
            if let credentials = workspace.connection(of: system)?.dataverse {
                // Dataverse's limits are per application user; the hub keeps 1% of the window in
                // hand, since its clock and the service's see each request at slightly different times.
                budgets[system] = SystemBudget(systemID: system, limits: limits.times(1 + credentials.additionalUsers.count), clock: clock,
                                               margin: limits.window / 100)
            } else {
                budgets[system] = SystemBudget(systemID: system, limits: limits, clock: clock)
            }
        }
        let connector = HTTPConnector(maxConnectionsPerHost: max(8, routes.map(\.concurrency).reduce(0, +)))
        self.connector = connector
        // One signed-in connector per Dataverse system that integrations write to or read from.
        var bySystem: [String: DataverseConnector] = [:]
        var dataverse: [DataverseConnector] = []
        for system in systems {
            guard let connection = workspace.connection(of: system), let credentials = connection.dataverse, let url = connection.baseURL else { continue }
            let caFile = credentials.caFile.map { $0.hasPrefix("/") ? $0 : workspace.root.appendingPathComponent($0).path }
            let concurrency = routes.filter { $0.targetSystem == system }.map(\.concurrency).reduce(0, +)
            let systemConnector = try DataverseConnector(environmentURL: url, credentials: credentials, caFile: caFile,
                                                         maxConnections: max(8, min(concurrency, budgets[system]?.limits.maxConcurrent ?? concurrency)),
                                                         budget: budgets[system])
            bySystem[system] = systemConnector
            dataverse.append(systemConnector)
        }
        dataverseConnectors = dataverse
        var dispatcherConfiguration = options.dispatcher ?? DispatcherConfiguration()
        if options.dispatcher == nil { dispatcherConfiguration.shutdownGrace = landscape.server.shutdownGrace }
        let dispatcher = Dispatcher(store: store, routes: routes, connector: bySystem.isEmpty ? connector : SystemConnectors(default: connector, bySystem: bySystem.mapValues { $0 }),
                                    budgets: budgets, clock: clock,
                                    configuration: dispatcherConfiguration, metrics: metrics, logger: logger)
        let pollers = changeSources.compactMap { route -> ChangePoller? in
            guard let trigger = route.integration.source.changes, let connector = bySystem[route.integration.source.system] else { return nil }
            return ChangePoller(route: route, feed: DataverseChangeFeed(connector: connector, trigger: trigger), store: store, clock: clock,
                                interval: trigger.interval, metrics: metrics, logger: logger, onAccepted: { dispatcher.wakeUp() })
        }
        let ingestor = Ingestor(routes: routes, store: store, clock: clock, maxBodyBytes: landscape.server.maxBodyBytes, metrics: metrics, logger: logger,
                                onAccepted: { dispatcher.wakeUp() })
        let listening = self.listening
        let server = try HubServer.application(
            configuration: .init(host: options.host ?? landscape.server.host, port: options.port ?? landscape.server.port, tls: landscape.server.tls),
            ingestor: ingestor, metrics: exporter, logger: logger,
            management: HubManagement(workspace: workspace, store: store, dispatcher: dispatcher, clock: clock),
            onListening: { port in listening.set(port) })
        let alerts = AlertNotifier(rules: landscape.alerts, store: store, connector: connector, clock: clock, interval: options.alertInterval, logger: logger)
        let housekeeping = Housekeeping(store: store, metrics: metrics, clock: clock, retention: landscape.store.retention,
                                        integrations: routes.map(\.id), logger: logger)
        // Started in this order, stopped in reverse: the listener and the change pollers stop
        // taking in first, then housekeeping, then the dispatcher finishes in-flight deliveries.
        group = ServiceGroup(configuration: .init(
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
            try? await shutDownConnectors()
            throw error
        }
        try await shutDownConnectors()
    }

    private func shutDownConnectors() async throws {
        for dataverse in dataverseConnectors { try? await dataverse.shutdown() }
        try await connector.shutdown()
    }

    /// The port the listener bound; waits until it listens.
    public func listeningPort() async -> Int { await listening.value() }

    /// Starts a graceful shutdown.
    public func shutdown() async { await group.triggerGracefulShutdown() }
}
