// `--phases fno-bulk`: a bulk load of `--records` customers through one integration into the
// Finance & Operations emulator over HTTPS, under priority-based throttling, as `$batch` (a
// change set per write), then the same load one record per request with no throttling
// awareness, for comparison.
import AsyncHTTPClient
import EmulatorSecurity
import FinanceOperationsEmulator
import FinanceOperationsEmulatorCore
import Foundation
import Logging
import NIOCore
import NIOSSL
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel

/// The throttling of the load: the emulator's capacity per window (its resource model; the
/// service publishes no thresholds), the application at medium priority (75% of it).
struct FinanceOperationsBulkSettings {
    var records = 100_000
    var batchSize = 200
    var capacity = 20_000
    var windowSeconds = 10
    var naiveSeconds = 60

    var throttling: ResourceThrottle.Settings {
        var settings = ResourceThrottle.Settings()
        settings.capacity = capacity
        settings.windowMillis = Int64(windowSeconds) * 1000
        return settings
    }

    /// Operations per second the medium priority may sustain.
    var sustained: Double { Double(throttling.capacity) * (throttling.shares[.medium] ?? 1) / Double(windowSeconds) }
}

/// A Finance & Operations emulator in this process over HTTPS; stopped by `stop()`.
struct BenchFinanceOperations {
    let emulator: FinanceOperationsEmulator
    let origin: String
    let caFile: String
    let folder: URL
    let task: Task<Void, any Error>
    static let application = FinanceOperationsEmulatorConfiguration.Application(credentials: ApplicationUser(clientID: "bench-app", clientSecret: "bench-secret"))

    init(throttling: ResourceThrottle.Settings, logger: Logger) async throws {
        var configuration = FinanceOperationsEmulatorConfiguration(applications: [Self.application])
        configuration.port = 0
        configuration.throttling = throttling
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-fno-\(UUID().uuidString)")
        let files = try SelfSignedCertificate.write(to: folder.appendingPathComponent("tls"))
        configuration.tls = .init(certificatePath: files.certificate.path, keyPath: files.key.path)
        caFile = files.authority.path
        let emulator = try FinanceOperationsEmulator(configuration: configuration)
        self.emulator = emulator
        let listening = Latch<Int>()
        task = Task { try await emulator.application(logger: logger) { port in listening.set(port) }.runService() }
        origin = "https://127.0.0.1:\(try await listening.value())"
    }

    /// Requests to `/data` and those answered 429.
    func requests() -> (all: Int, throttled: Int) {
        let stats = emulator.statistics()
        guard case .object(let byStatus)? = stats["requests_by_status"] else { return (0, 0) }
        let all = byStatus.values.compactMap { Int($0.text) }.reduce(0, +)
        return (all, Int(byStatus["429"]?.text ?? "") ?? 0)
    }

    func customers() -> Int { emulator.service.records.records(emulator.service.schema.entity(set: "CustomersV3")!).count }

    func stop() {
        task.cancel()
        try? FileManager.default.removeItem(at: folder)
    }
}

func financeOperationsBulkLoad(_ settings: FinanceOperationsBulkSettings, post: @escaping @Sendable (Int, Int) async -> Bool, logger: Logger) async throws {
    print(
        "fno-bulk: \(settings.records) customers; throttling: capacity \(settings.capacity) operations per \(settings.windowSeconds) s, medium priority (\(format(settings.sustained, 0)) operations/s sustained); $batch of \(settings.batchSize); HTTPS"
    )
    let emulator = try await BenchFinanceOperations(throttling: settings.throttling, logger: logger)
    defer { emulator.stop() }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-fno-hub-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory.appendingPathComponent("integrations"), withIntermediateDirectories: true)
    try """
    version: 1
    server: { host: 127.0.0.1, port: 0 }
    systems:
      - { id: shop, kind: http, location: cloud }
      - id: fno
        kind: finance-operations
        location: cloud
        connections:
          default:
            base_url: \(emulator.origin)
            authority: \(emulator.origin)
            tenant: switchboard
            client_id: \(BenchFinanceOperations.application.credentials.clientID)
            client_secret: ${env:FNO_SECRET}
            ca_file: \(emulator.caFile)
            default_company: usmf
            batch_size: \(settings.batchSize)
    """.write(to: directory.appendingPathComponent("switchboard.yaml"), atomically: true, encoding: .utf8)
    try """
    id: orders
    title: Customers into Finance & Operations
    source: { system: shop, webhook: { path: /hooks/orders, auth: { kind: header, header: X-Key, secret: "${env:BENCH_KEY}" } } }
    steps:
      - map: { CustomerAccount: { concat: ["C-", $.n] }, OrganizationName: { concat: ["Customer ", $.n] }, CustomerGroupId: "10", SalesCurrencyCode: USD }
    target:
      system: fno
      finance-operations: { entity: CustomersV3, key: { CustomerAccount: $.CustomerAccount } }
    delivery: { max_attempts: 1000, backoff: { initial: 100ms, max: 5s, multiplier: 2 } }
    """.write(to: directory.appendingPathComponent("integrations/orders.yaml"), atomically: true, encoding: .utf8)
    let workspace = try Workspace.load(
        directory: directory, registry: .standard,
        variables: ["BENCH_KEY": "bench", "FNO_SECRET": BenchFinanceOperations.application.credentials.clientSecret])
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
    while true {
        let counts = try await hub.store.counts()
        if counts.filter({ $0.state == .delivered || $0.state == .dead }).reduce(0, { $0 + $1.count }) >= records { break }
        try await Task.sleep(for: .milliseconds(100))
    }
    let elapsed = (ContinuousClock.now - start).secondsDouble
    let dead = try await hub.store.counts().filter { $0.state == .dead }.reduce(0) { $0 + $1.count }
    await hub.shutdown()
    try await hubTask.value
    let (requests, throttled) = emulator.requests()
    let held = emulator.customers()
    print(
        "  hub:   \(held) customers in \(format(elapsed, 1)) s (load accepted in \(format(accepted.secondsDouble, 1)) s): \(format(Double(held) / elapsed, 0)) records/s; \(requests) requests, \(throttled) answered 429 (\(format(100 * Double(throttled) / Double(max(requests, 1)), 2)) %); \(dead) dead"
    )
    print(
        "         the emulator holds \(held) of \(records) customers, each key once; \(format(100 * Double(held) / elapsed / settings.sustained, 1)) % of the operations/s the medium priority sustains"
    )
    if settings.naiveSeconds > 0 { try await financeOperationsNaiveLoad(settings) }
}

/// One record per `POST` by 16 workers that retry a refused request at once, bounded by `naiveSeconds`.
func financeOperationsNaiveLoad(_ settings: FinanceOperationsBulkSettings) async throws {
    var quiet = Logger(label: "bench-fno-naive")
    quiet.logLevel = .error
    let emulator = try await BenchFinanceOperations(throttling: settings.throttling, logger: quiet)
    defer { emulator.stop() }
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .file(emulator.caFile)
    var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
    let naive = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let credentials = BenchFinanceOperations.application.credentials
    let host = String(emulator.origin.dropFirst("https://".count))
    let (_, tokenJSON) = emulator.emulator.issuer.token(
        body: "grant_type=client_credentials&client_id=\(credentials.clientID)&client_secret=\(credentials.clientSecret)&scope=https%3A%2F%2F\(host.percentEncoded)%2F.default",
        authorization: nil, resourceHost: host)
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
                    var request = HTTPClientRequest(url: "\(origin)/data/CustomersV3")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(
                        ByteBuffer(string: #"{"CustomerAccount": "C-\#(n)", "OrganizationName": "Customer \#(n)", "CustomerGroupId": "10", "SalesCurrencyCode": "USD"}"#))
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
    let (requests, throttled) = emulator.requests()
    let held = emulator.customers()
    print(
        "  naive: one record per request, 16 workers retrying at once: \(held) customers in \(format(elapsed, 1)) s (\(format(Double(held) / elapsed, 0)) records/s); \(requests) requests, \(throttled) answered 429 (\(format(100 * Double(throttled) / Double(max(requests, 1)), 1)) %)"
    )
}
