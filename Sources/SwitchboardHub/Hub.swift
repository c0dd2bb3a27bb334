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
    /// This node's id among the nodes sharing a PostgreSQL store (`--node`); its leases carry it.
    /// Nil: `SWITCHBOARD_NODE`, else the host name with a PostgreSQL store and `local` with SQLite.
    public var nodeID: String?

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

/// A running hub: the store, the HTTP listener, and the runtime of the workspace's current
/// revision (the delivery loop, change pollers, housekeeping and alerts), as one service group,
/// built from the workspace and its connector registry: each system's connector is made by its
/// kind, by name, so nothing here names a kind. SIGHUP or `POST /api/v1/reload` reloads the
/// workspace without a restart (`RuntimeHost`). Graceful shutdown stops the listener first, then
/// lets deliveries finish.
public final class Hub: Sendable {
    /// The workspace the hub started with; `runningWorkspace` after a reload.
    public let workspace: Workspace
    public let store: any HubStore
    private let group: ServiceGroup
    private let alertSender: HTTPConnector
    private let host: RuntimeHost
    private let deliver: Bool
    /// This node's announcement to the others sharing the store.
    public let presence: NodePresence
    /// The bound port, or why the hub stopped before it listened.
    private let listening = Latch<Result<Int, any Error>>()

    /// Opens the store and wires the services; nothing runs until `run()`.
    ///
    /// - Parameter load: How a reload reads the workspace again; default `Workspace.load` of the
    ///   same folder, registry and environment, with the process's environment variables.
    public init(
        workspace: Workspace, options: HubOptions = HubOptions(), logger: Logger, load: (@Sendable () throws -> Workspace)? = nil
    ) throws {
        MallocTuning.apply()
        self.workspace = workspace
        deliver = options.deliver
        let landscape = workspace.landscape
        let store = try StoreOpener.open(root: workspace.root, settings: landscape.store, logger: logger)
        self.store = store
        let clock = SystemClock()
        let exporter = MetricsExporter()
        let alertSender = HTTPConnector(maxConnectionsPerHost: 4)
        self.alertSender = alertSender
        let telemetry = Telemetry.make(landscape.tracing, logger: logger)
        let node =
            options.nodeID ?? ProcessInfo.processInfo.environment["SWITCHBOARD_NODE"]
            ?? (landscape.store.kind == .sqlite ? "local" : ProcessInfo.processInfo.hostName)
        let coordination = (store as? any CoordinationStore) ?? LocalCoordination()
        let presence = NodePresence(coordination: coordination, node: node, version: SwitchboardVersion.current, clock: clock, logger: logger)
        self.presence = presence
        let shared = HubRuntime.Shared(
            store: store, clock: clock, metrics: HubMetrics(factory: exporter.factory), storeHealth: StoreHealth(clock: clock, logger: logger),
            board: HealthBoard(), alertSender: alertSender, options: options, logger: logger, tracing: telemetry.tracing,
            duties: DutyGate(coordination: coordination, node: node, clock: clock))
        let first = try HubRuntime(workspace: workspace, revision: WorkspaceRevision.of(workspace.root, now: clock.now()), shared: shared)
        let (root, registry, environment) = (workspace.root, workspace.registry, workspace.environment)
        let host = RuntimeHost(
            first: first, shared: shared,
            load: load ?? { try Workspace.load(directory: root, registry: registry, environment: environment) },
            handleHangup: options.handleSignals)
        self.host = host
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
                ingestor: { host.runtime.ingestor }, metrics: exporter, logger: logger,
                management: HubManagement(
                    store: store, clock: clock, health: shared.storeHealth, board: shared.board, host: host, duties: shared.duties),
                onListening: { port in listening.set(.success(port)) }),
            host: address.host, port: address.port, remedy: "set server.port")
        // Started in this order, stopped in reverse: the listener stops taking in first, then
        // the runtime's pollers, and its dispatcher finishes in-flight deliveries; the trace
        // exporter last, with the spans they ended.
        group = ServiceGroup(
            configuration: .init(
                services: (telemetry.service.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? [])
                    + [.init(service: presence), .init(service: host), .init(service: server)],
                gracefulShutdownSignals: options.handleSignals ? [.sigterm, .sigint] : [],
                logger: logger))
    }

    /// The workspace running now: the one the hub started with, or the last reloaded.
    public var runningWorkspace: Workspace { host.runtime.workspace }

    /// The revision running now.
    public var revision: WorkspaceRevision { host.runtime.revision }

    /// Reloads the workspace, as SIGHUP and `POST /api/v1/reload` do: the problems when it is not
    /// clean (and the hub keeps running what it ran), or the revision now running and the
    /// settings that changed but take effect only at the next start.
    public func reload(actor: String) async -> (revision: WorkspaceRevision?, problems: [String], warnings: [String]) {
        switch await host.reload(actor: actor) {
        case .success(let report): return (report.revision, [], report.warnings)
        case .failure(let refusal): return (nil, refusal.problems.isEmpty ? [refusal.message] : refusal.problems, [])
        }
    }

    /// The store file of a workspace: `store.path` relative to the workspace root.
    public static func storePath(_ workspace: Workspace) -> String {
        storePath(root: workspace.root, settings: workspace.landscape.store)
    }

    public static func storePath(root: URL, settings: StoreSettings) -> String {
        settings.path.hasPrefix("/") ? settings.path : root.appendingPathComponent(settings.path).path
    }

    /// Runs until a signal or `shutdown()`, then stops gracefully. Each runtime shuts its
    /// connectors down when it stops.
    public func run() async throws {
        // On SQLite, the hub's hold on its store for as long as it runs (`store restore` and
        // `store migrate` refuse while it is held).
        var running: HubLock?
        defer { _ = running }
        do {
            // A database that cannot be reached stops the start with its sentence, before anything listens.
            do {
                if let sqlite = store as? SQLiteMessageStore { running = try HubLock(store: sqlite.path) }
                try await store.prepare()
                try await presence.announce()
            } catch {
                await host.runtime.abandon()
                throw error
            }
            try await group.run()
        } catch {
            listening.set(.failure(error))
            try? await alertSender.shutdown()
            await store.close()
            throw error
        }
        listening.set(.failure(HubStoppedError()))
        try await alertSender.shutdown()
        await store.close()
    }

    /// What the last graceful stop of deliveries did; nil before one (or without delivery, `--hold`).
    public var shutdownReport: ShutdownReport? { deliver ? host.runtime.dispatcher.lastShutdown : nil }

    /// The port the listener bound; waits until it listens, and throws why the hub stopped if it
    /// stopped first (its port taken: a `ListenFailure`).
    public func listeningPort() async throws -> Int { try await listening.value().get() }

    /// Starts a graceful shutdown.
    public func shutdown() async { await group.triggerGracefulShutdown() }
}
