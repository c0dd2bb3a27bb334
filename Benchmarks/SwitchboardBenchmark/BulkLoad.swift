// `--phases dataverse-bulk`: a bulk load of `--records` orders through one integration into the
// Dataverse emulator over HTTPS, with the service protection limits scaled to a short window, then
// the same load sent one record per request with no throttling awareness, for comparison.
import AsyncHTTPClient
import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import Logging
import NIOCore
import NIOSSL
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel
import Synchronization

/// The limits of the bulk load: Dataverse's per-user limits (6,000 requests and 1,200 s of
/// execution time per 300 s, 52 concurrent) scaled by 1/30 in time, and 2 ms of simulated
/// execution time per record written.
struct BulkLoadSettings {
    var records = 100_000
    var batchSize = 200
    /// `batch` ($batch) or `multiple` (UpsertMultiple).
    var batchWith = "batch"
    var windowSeconds = 10
    var latencyMillis = 2.0
    /// How long the naive client runs at most.
    var naiveSeconds = 60

    /// The emulator enforces what the hub assumes: Dataverse's documented limits for this window.
    var limits: ServiceProtection.Limits {
        let documented = DataverseLimits.documented(window: .seconds(windowSeconds))
        return ServiceProtection.Limits(
            maxRequests: documented.maxRequests!, maxExecutionMillis: documented.maxExecution!.milliseconds,
            maxConcurrent: documented.maxConcurrent!, windowMillis: Int64(windowSeconds) * 1000)
    }
}

/// An emulator in this process over HTTPS with a self-signed authority; stopped by `stop()`.
struct BenchEmulator {
    let emulator: DataverseEmulator
    let origin: String
    let caFile: String
    let folder: URL
    let task: Task<Void, any Error>

    init(limits: ServiceProtection.Limits, latencyMillis: Double, logger: Logger) async throws {
        var configuration = EmulatorConfiguration()
        configuration.port = 0
        configuration.limits = limits
        configuration.latency = LatencyModel(minMillis: latencyMillis, maxMillis: latencyMillis)
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-bulk-\(UUID().uuidString)")
        let files = try SelfSignedCertificate.write(to: folder.appendingPathComponent("tls"))
        configuration.tls = .init(certificatePath: files.certificate.path, keyPath: files.key.path)
        caFile = files.authority.path
        let emulator = try DataverseEmulator(configuration: configuration)
        self.emulator = emulator
        let listening = Latch<Int>()
        task = Task { try await emulator.application(logger: logger) { port in listening.set(port) }.runService() }
        origin = "https://127.0.0.1:\(try await listening.value())"
    }

    var user: ApplicationUser { emulator.configuration.users[0] }

    func stats() -> JSONValue { emulator.statistics() }

    func salesOrderCount() -> Int {
        let table = emulator.configuration.schema.table(logicalName: "salesorder")!
        return emulator.store.snapshot().count(table)
    }

    func stop() {
        task.cancel()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// The bulk load through the hub; prints what it measured.
func dataverseBulkLoad(_ settings: BulkLoadSettings, post: @escaping @Sendable (Int, Int) async -> Bool, logger: Logger) async throws {
    let limits = settings.limits
    print(
        "dataverse-bulk: \(settings.records) records, limits per \(settings.windowSeconds) s window: \(limits.maxRequests) requests, \(limits.maxExecutionMillis) ms execution time, \(limits.maxConcurrent) concurrent; \(settings.latencyMillis) ms per record; batch size \(settings.batchSize) (\(settings.batchWith)); HTTPS"
    )
    let emulator = try await BenchEmulator(limits: limits, latencyMillis: settings.latencyMillis, logger: logger)
    defer { emulator.stop() }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-bulk-hub-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory.appendingPathComponent("integrations"), withIntermediateDirectories: true)
    // The workspace states the environment's limits with the same short window; the hub scales
    // Dataverse's documented defaults to it.
    try """
    version: 1
    server: { host: 127.0.0.1, port: 0 }
    systems:
      - { id: shop, kind: http, location: cloud }
      - id: crm
        kind: dataverse
        location: cloud
        limits: { window: \(settings.windowSeconds)s }
        connections:
          default:
            base_url: \(emulator.origin)
            authority: \(emulator.origin)
            tenant: \(emulator.emulator.configuration.tenant)
            client_id: \(emulator.user.clientID)
            client_secret: ${env:DATAVERSE_SECRET}
            ca_file: \(emulator.caFile)
            batch_size: \(settings.batchSize)
            batch_with: \(settings.batchWith)
    """.write(to: directory.appendingPathComponent("switchboard.yaml"), atomically: true, encoding: .utf8)
    try """
    id: orders
    title: Orders into Dataverse
    source: { system: shop, webhook: { path: /hooks/orders, auth: { kind: header, header: X-Key, secret: "${env:BENCH_KEY}" } } }
    steps:
      - map: { name: { concat: ["Order ", $.n] }, ordernumber: { concat: ["SO-", $.n] }, totalamount: $.n }
    target:
      system: crm
      dataverse: { table: salesorders, operation: upsert, key: { ordernumber: $.ordernumber } }
    """.write(to: directory.appendingPathComponent("integrations/orders.yaml"), atomically: true, encoding: .utf8)
    let workspace = try Workspace.load(
        directory: directory, registry: .standard, variables: ["BENCH_KEY": "bench", "DATAVERSE_SECRET": emulator.user.clientSecret])
    let hub = try Hub(workspace: workspace, options: HubOptions(handleSignals: false), logger: logger)
    let hubTask = Task { try await hub.run() }
    let port = try await hub.listeningPort()

    let start = ContinuousClock.now
    let next = Ticket()
    let records = settings.records
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<32 {
            group.addTask {
                while let n = next.take(below: records) { _ = await post(port, n) }
            }
        }
    }
    let accepted = ContinuousClock.now - start
    var settled = 0
    while true {
        let counts = try await hub.store.counts()
        settled = counts.filter { $0.state == .delivered || $0.state == .dead }.reduce(0) { $0 + $1.count }
        if settled >= records { break }
        try await Task.sleep(for: .milliseconds(100))
    }
    let elapsed = (ContinuousClock.now - start).secondsDouble
    let dead = try await hub.store.counts().filter { $0.state == .dead }.reduce(0) { $0 + $1.count }
    await hub.shutdown()
    try await hubTask.value

    let stats = emulator.stats()
    let requests = Int(stats["requests"]?.text ?? "") ?? 0
    let throttled = ServiceProtection.Reason.allCases.map { Int(stats["throttled"]?[$0.rawValue]?.text ?? "") ?? 0 }.reduce(0, +)
    let execution = Double(stats["users"]?[emulator.user.clientID]?["execution_ms"]?.text ?? "") ?? 0
    let created = Int(stats["records"]?["created"]?.text ?? "") ?? 0
    let updated = Int(stats["records"]?["updated"]?.text ?? "") ?? 0
    let inTable = emulator.salesOrderCount()
    let window = Double(settings.windowSeconds)
    // What the limits allow in the time the load took: execution time per window (bursting at
    // the concurrency limit at the start of each window, the most a sliding window lets through),
    // and requests per window of full batches.
    let perRecord = execution / Double(max(created + updated, 1))
    let windows = (elapsed / window).rounded(.down)
    let rest = elapsed - windows * window
    let executionAllowed =
        Double(limits.maxExecutionMillis) * windows + min(Double(limits.maxExecutionMillis), Double(limits.maxConcurrent) * rest * 1000)
    let byExecution = executionAllowed / perRecord
    let sustained = Double(limits.maxExecutionMillis) * elapsed / window / perRecord
    let byRequests = Double(limits.maxRequests) * (windows + 1) * 1000
    let allowed = min(byExecution, byRequests)
    print(
        "  hub:   \(created + updated) writes in \(format(elapsed, 1)) s (load accepted in \(format(accepted.secondsDouble, 1)) s): \(format(Double(inTable) / elapsed, 0)) records/s; \(requests) requests, \(throttled) answered 429 (\(format(100 * Double(throttled) / Double(max(requests, 1)), 2)) %); \(dead) dead"
    )
    print("         table holds \(inTable) of \(records) records; \(created) created, \(updated) written a second time")
    print(
        "         execution time charged \(format(execution / 1000, 1)) s, \(format(perRecord, 2)) ms per record; the limits allow \(format(allowed, 0)) records in \(format(elapsed, 1)) s (bursting each window at 52 concurrent), \(format(sustained, 0)) at the sustained rate"
    )
    print(
        "         \(format(100 * Double(inTable) / allowed, 1)) % of what the limits allow, \(format(100 * Double(inTable) / sustained, 1)) % of the sustained rate"
    )

    if settings.naiveSeconds > 0 { try await naiveLoad(settings) }
}

/// The same records sent one per request by 16 workers that retry a refused request at once,
/// as a script with no throttling awareness does; bounded by `naiveSeconds`.
func naiveLoad(_ settings: BulkLoadSettings) async throws {
    var quiet = Logger(label: "bench-naive")
    quiet.logLevel = .error
    let emulator = try await BenchEmulator(limits: settings.limits, latencyMillis: settings.latencyMillis, logger: quiet)
    defer { emulator.stop() }
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .file(emulator.caFile)
    var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
    let naive = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let user = emulator.user
    let (_, tokenJSON) = emulator.emulator.issuer.token(
        form: [
            "grant_type": "client_credentials", "client_id": user.clientID, "client_secret": user.clientSecret,
            "scope": "\(emulator.origin)/.default",
        ], basic: nil, resourceHost: String(emulator.origin.dropFirst("https://".count)))
    let token = tokenJSON["access_token"]?.text ?? ""
    let start = ContinuousClock.now
    let deadline = start + .seconds(settings.naiveSeconds)
    let next = Ticket()
    let origin = emulator.origin
    let records = settings.records
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<16 {
            group.addTask {
                guard var n = next.take(below: records) else { return }
                while ContinuousClock.now < deadline {
                    var request = HTTPClientRequest(url: "\(origin)/api/data/v9.2/salesorders(ordernumber='SO-\(n)')")
                    request.method = .PATCH
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: #"{"name": "Order \#(n)", "totalamount": \#(n)}"#))
                    guard let response = try? await naive.execute(request, timeout: .seconds(30)) else { continue }
                    _ = try? await response.body.collect(upTo: 1 << 16)
                    if (200..<300).contains(response.status.code) {
                        guard let following = next.take(below: records) else { return }
                        n = following
                    }
                }
            }
        }
    }
    let elapsed = (ContinuousClock.now - start).secondsDouble
    try await naive.shutdown()
    let stats = emulator.stats()
    let requests = Int(stats["requests"]?.text ?? "") ?? 0
    let throttled = ServiceProtection.Reason.allCases.map { Int(stats["throttled"]?[$0.rawValue]?.text ?? "") ?? 0 }.reduce(0, +)
    let inTable = emulator.salesOrderCount()
    print(
        "  naive: one record per request, 16 workers retrying at once: \(inTable) records in \(format(elapsed, 1)) s (\(format(Double(inTable) / elapsed, 0)) records/s); \(requests) requests, \(throttled) answered 429 (\(format(100 * Double(throttled) / Double(max(requests, 1)), 1)) %)"
    )
}
