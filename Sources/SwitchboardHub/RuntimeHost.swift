import Foundation
import Logging
import ServiceLifecycle
import SwitchboardEngine
import SwitchboardModel
import SwitchboardServer
import Synchronization
import UnixSignals

/// Runs the workspace's `HubRuntime` and replaces it when the workspace is reloaded (SIGHUP, or
/// `POST /api/v1/reload`).
///
/// A reload reads the workspace again and validates it; when it is clean the next runtime starts
/// beside the running one, which then retires: it stops claiming and taking in, and its
/// deliveries in flight finish. Webhooks arriving meanwhile are taken by the next runtime, so
/// none is refused, and the store's leases keep a message from being delivered by both. When the
/// workspace is not clean, or a connector cannot be made, nothing changes and every problem is
/// reported. One reload runs at a time. What only a restart can change (where the hub listens,
/// its TLS and connection limits, the store) is reported as a warning and keeps its old value.
final class RuntimeHost: Service, Sendable {
    private let shared: HubRuntime.Shared
    private let load: @Sendable () throws -> Workspace
    private let current: Mutex<HubRuntime>
    private let next: (stream: AsyncStream<HubRuntime>, continuation: AsyncStream<HubRuntime>.Continuation)
    private let reloading = Mutex(false)
    /// Reloads so far: the next runtime's delivery loop is generation `reloads + 1`.
    private let reloads = Mutex(0)
    private let handleHangup: Bool

    init(first: HubRuntime, shared: HubRuntime.Shared, load: @escaping @Sendable () throws -> Workspace, handleHangup: Bool) {
        self.current = Mutex(first)
        self.shared = shared
        self.load = load
        self.handleHangup = handleHangup
        next = AsyncStream<HubRuntime>.makeStream()
    }

    /// The runtime taking in and delivering now.
    var runtime: HubRuntime { current.withLock { $0 } }

    func run() async throws {
        let first = runtime
        let next = self.next
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await first.run() }
                if self.handleHangup {
                    group.addTask {
                        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
                            let outcome = await self.reload(actor: "SIGHUP")
                            if case .failure(let refusal) = outcome {
                                self.shared.logger.error(
                                    "reload refused; the hub runs the workspace it ran",
                                    metadata: ["sb.problems": "\(refusal.problems.joined(separator: " | "))"])
                            }
                        }
                    }
                }
                for await runtime in next.stream { group.addTask { try await runtime.run() } }
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            next.continuation.finish()
            let runtime = self.runtime
            Task { await runtime.retire() }
        }
    }

    /// Reads, validates and swaps in the workspace; what changed, or why nothing did.
    func reload(actor: String) async -> Result<ReloadReport, ReloadRefusal> {
        let mine = reloading.withLock { busy in
            if busy { return false }
            busy = true
            return true
        }
        guard mine else { return .failure(ReloadRefusal(message: "a reload is already in progress", problems: [])) }
        defer { reloading.withLock { $0 = false } }
        let old = runtime
        let workspace: Workspace
        do {
            workspace = try load()
        } catch let error as WorkspaceError {
            let problems = error.diagnostics.map(\.description)
            return .failure(
                ReloadRefusal(
                    message:
                        "the workspace has \(problems.count) problem\(problems.count == 1 ? "" : "s"); the hub runs revision \(old.revision.id) as before",
                    problems: problems))
        } catch {
            return .failure(ReloadRefusal(message: "the workspace cannot be read: \(error); the hub runs revision \(old.revision.id)", problems: []))
        }
        let revision = WorkspaceRevision.of(workspace.root, now: shared.clock.now())
        let replacement: HubRuntime
        do {
            let generation = reloads.withLock { count in
                count += 1
                return count
            }
            replacement = try HubRuntime(workspace: workspace, revision: revision, shared: shared, generation: generation)
        } catch {
            return .failure(ReloadRefusal(message: "\(error); the hub runs revision \(old.revision.id) as before", problems: ["\(error)"]))
        }
        guard case .enqueued = next.continuation.yield(replacement) else {
            return .failure(ReloadRefusal(message: "the hub is stopping", problems: []))
        }
        current.withLock { $0 = replacement }
        await old.retire()
        let warnings = Self.needsRestart(old.workspace.landscape, workspace.landscape)
        shared.logger.notice(
            "workspace reloaded",
            metadata: ["sb.revision": "\(revision.id)", "sb.previous": "\(old.revision.id)", "sb.actor": "\(actor)"])
        for warning in warnings { shared.logger.warning("\(warning)") }
        return .success(ReloadReport(revision: revision, previous: old.revision, warnings: warnings))
    }

    /// Settings a running hub keeps until it restarts, each that changed in a sentence.
    static func needsRestart(_ old: Landscape, _ new: Landscape) -> [String] {
        var changed: [String] = []
        func note<Value: Equatable>(_ field: String, _ before: Value, _ after: Value) {
            if before != after { changed.append("\(field) changed; it takes effect when the hub restarts") }
        }
        note("server.host", old.server.host, new.server.host)
        note("server.port", old.server.port, new.server.port)
        note("server.tls", old.server.tls.map { [$0.certificate, $0.key] }, new.server.tls.map { [$0.certificate, $0.key] })
        note("server.idle_timeout", old.server.idleTimeout, new.server.idleTimeout)
        note("server.read_timeout", old.server.readTimeout, new.server.readTimeout)
        note("server.max_connections", old.server.maxConnections, new.server.maxConnections)
        note("server.trusted_proxies", old.server.trustedProxies, new.server.trustedProxies)
        note("store.path", old.store.path, new.store.path)
        note("tracing.endpoint", old.tracing.endpoint, new.tracing.endpoint)
        note("tracing.service_name", old.tracing.serviceName, new.tracing.serviceName)
        note("tracing.sample_ratio", old.tracing.sampleRatio, new.tracing.sampleRatio)
        return changed
    }
}

/// A reload that took effect.
struct ReloadReport: Sendable {
    var revision: WorkspaceRevision
    var previous: WorkspaceRevision
    /// Settings that changed and take effect only at the next start.
    var warnings: [String]

    var json: JSONValue {
        .object([
            "revision": revision.json, "previous": .string(previous.id), "warnings": .array(warnings.map(JSONValue.string)),
        ])
    }
}

/// Why a reload changed nothing: a sentence, and each problem as `file:line:column: sentence`.
struct ReloadRefusal: Error, Sendable {
    var message: String
    var problems: [String]
}
