// Switchboard's throughput and latency benchmark. Build and run in release:
//
//     swift run -c release SwitchboardBenchmark [--messages N] [--latency-seconds S]
//         [--durability full|normal] [--phases ingest,end-to-end,latency] [--load swift|wrk] [--seconds S]
//         [--sink swift|nginx]
//
// `--phases emulator` measures `switchboard emulate dataverse` instead: simple Web API requests per
// second with the service protection limits off, over HTTP and HTTPS (wrk with --load wrk).
// `--phases dataverse-bulk [--records N] [--batch-size B] [--batch-with batch|multiple] [--naive-seconds S]` loads N orders through the hub into the
// emulator with its service protection limits on (scaled to a 10 s window), then sends them the
// naive way (BulkLoad.swift).
// `--phases fno-bulk [--records N] [--batch-size B] [--capacity C] [--naive-seconds S]` loads N customers through the hub into the
// Finance & Operations emulator under priority-based throttling, then the naive way (FinanceOperationsBulkLoad.swift).
// `--phases prune [--records N]` fills a store with N delivered messages and prunes them in batches
// and in one transaction while webhooks keep arriving (Prune.swift).
//
// By default everything runs in this one process on loopback: the hub (real SQLite file in a
// temporary folder, real HTTP listener), a sink standing in for the target, and 64 HTTP clients.
// Client and sink share the machine's cores with the hub, so the figures are a floor for the hub
// alone. `--load wrk` and `--sink nginx` move the load and the end-to-end target into processes of
// their own (Debian's wrk and nginx), which cost less CPU than the Swift stand-ins.
import AsyncHTTPClient
import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import Logging
import NIOCore
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel
import SwitchboardServer
import SwitchboardTesting
import Synchronization

struct Options {
    var messages = 50_000
    var latencySeconds = 10
    var durability = "full"
    var phases: Set<String> = ["ingest", "end-to-end", "latency"]
    /// `swift`: 64 AsyncHTTPClient clients in this process; `wrk`: wrk (Debian's package) as a
    /// separate process with 64 connections, for `--seconds`.
    var load = "swift"
    var seconds = 10
    /// `swift`: the in-process `Sink` as the end-to-end target; `nginx`: nginx answering 200 in its
    /// own process (deliveries are then counted in the hub's store).
    var sink = "swift"
    /// `dataverse-bulk`: records loaded and the batch size.
    var records = 100_000
    var batchSize = 200
    var batchWith = "batch"
    /// How long the naive comparison runs; 0 skips it.
    var naiveSeconds = 60
    /// `fno-bulk`: the emulator's throttling capacity per 10 s window.
    var capacity: Int?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--messages": messages = Int(iterator.next() ?? "") ?? messages
            case "--latency-seconds": latencySeconds = Int(iterator.next() ?? "") ?? latencySeconds
            case "--durability": durability = iterator.next() ?? durability
            case "--load": load = iterator.next() ?? load
            case "--seconds": seconds = Int(iterator.next() ?? "") ?? seconds
            case "--sink": sink = iterator.next() ?? sink
            case "--records": records = Int(iterator.next() ?? "") ?? records
            case "--batch-size": batchSize = Int(iterator.next() ?? "") ?? batchSize
            case "--batch-with": batchWith = iterator.next() ?? batchWith
            case "--naive-seconds": naiveSeconds = Int(iterator.next() ?? "") ?? naiveSeconds
            case "--capacity": capacity = Int(iterator.next() ?? "")
            case "--phases": phases = Set((iterator.next() ?? "").split(separator: ",").map(String.init))
            default: print("unknown argument \(argument)"); exit(2)
            }
        }
    }
}

let options = Options(CommandLine.arguments)
// The emulator phase runs only when asked for: --phases emulator.
let quiet: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    return logger
}()

func workspace(sinkPort: Int) throws -> Workspace {
    var fixture = WorkspaceFixture()
    fixture.server = "host: 127.0.0.1, port: 0"
    fixture.landscapeExtra = "store: { durability: \(options.durability) }"
    fixture.systems = [
        WorkspaceFixture.system("shop", kind: "http"),
        WorkspaceFixture.system("sink", kind: "http", location: "on-premises", connection: ["base_url: http://127.0.0.1:\(sinkPort)"]),
    ]
    fixture.integrations["orders"] = WorkspaceFixture.integration(
        "orders", title: "Orders",
        source: WorkspaceFixture.webhook(
            system: "shop", path: "/hooks/orders", auth: #"{ kind: header, header: X-Key, secret: "${env:BENCH_KEY}" }"#),
        steps: ["map: { order: $.n, sent_at: $.sent_at, customer: { upper: $.customer }, lines: $.lines }"],
        target: #"{ system: sink, http: { method: POST, path: "/orders/{$.order}" } }"#,
        delivery: "concurrency: 64")
    let directory = try fixture.write().url
    return try Workspace.load(directory: directory, registry: .standard, variables: ["BENCH_KEY": "bench"])
}

func nowMillis() -> Int64 { SystemClock().now() }

/// A typical order of about 300 bytes.
func body(_ n: Int) -> String {
    #"{"n": \#(n), "sent_at": \#(nowMillis()), "customer": "c\#(n % 500)", "lines": [{"sku": "SKU-\#(n % 97)", "quantity": 2, "price": 19.95}, {"sku": "SKU-\#(n % 89)", "quantity": 1, "price": 5.5}], "note": "benchmark order with a realistic payload size"}"#
}

let client: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}()

func post(port: Int, _ n: Int) async -> Bool {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hooks/orders")
    request.method = .POST
    request.headers.add(name: "X-Key", value: "bench")
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(string: body(n)))
    guard let response = try? await client.execute(request, timeout: .seconds(30)) else { return false }
    _ = try? await response.body.collect(upTo: 4096)
    return response.status.code == 202
}

/// Sends `count` messages with 64 concurrent clients; returns seconds taken and per-request latencies (ms).
func closedLoop(port: Int, count: Int) async -> (seconds: Double, latencies: [Double]) {
    let next = Ticket()
    let start = ContinuousClock.now
    let latencies = await withTaskGroup(of: [Double].self) { group in
        for _ in 0..<64 {
            group.addTask {
                var mine: [Double] = []
                while true {
                    guard let n = next.take(below: count) else { return mine }
                    let began = ContinuousClock.now
                    if await post(port: port, n) { mine.append((ContinuousClock.now - began).millisecondsDouble) }
                }
            }
        }
        return await group.reduce(into: []) { $0 += $1 }
    }
    return ((ContinuousClock.now - start).secondsDouble, latencies)
}

/// Hands out 0, 1, 2, ... to concurrent senders.
final class Ticket: Sendable {
    private let next = Mutex(0)

    func take(below limit: Int) -> Int? {
        next.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

/// Drives the hub with wrk in a separate process; returns requests answered, requests/s, p50 and p99 as wrk prints them.
func wrk(port: Int, seconds: Int) throws -> (requests: Int, rate: Double, p50: String, p99: String) {
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-\(UUID().uuidString).lua")
    try """
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["X-Key"] = "bench"
    wrk.body = '\(body(17))'
    """.write(to: script, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: script) }
    let output = try runWrk(["-t1", "-c64", "-d\(seconds)s", "--latency", "-s", script.path, "http://127.0.0.1:\(port)/hooks/orders"])
    if output.contains("Non-2xx") { print("wrk saw non-2xx answers:\n\(output)"); exit(1) }
    func field(_ prefix: String) -> String {
        output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }?
            .split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? "?"
    }
    let requests = output.split(separator: "\n").first { $0.contains("requests in") }?.split(separator: " ").first.flatMap { Int($0) } ?? 0
    return (requests, Double(field("Requests/sec:")) ?? 0, field("50%"), field("99%"))
}

extension Duration {
    var secondsDouble: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var millisecondsDouble: Double { secondsDouble * 1000 }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func peakMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return .nan }
    return kib / 1024
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

/// Runs a hub delivering to `sinkPort`; `body` gets the hub and its port.
func withHub<T>(deliver: Bool, sinkPort: Int, _ body: (Hub, Int) async throws -> T) async throws -> T {
    let hub = try Hub(workspace: try workspace(sinkPort: sinkPort), options: HubOptions(handleSignals: false, deliver: deliver), logger: quiet)
    let hubTask = Task { try await hub.run() }
    let port = try await hub.listeningPort()
    let result = try await body(hub, port)
    await hub.shutdown()
    try await hubTask.value
    try? FileManager.default.removeItem(at: hub.workspace.root)
    return result
}

/// Runs a hub with the in-process sink as its target.
func withHub<T>(deliver: Bool, sink: Sink, _ body: (Hub, Int) async throws -> T) async throws -> T {
    let sinkTask = Task { try await sink.application(port: 0, logger: quiet).runService() }
    defer { sinkTask.cancel() }
    return try await withHub(deliver: deliver, sinkPort: try await sink.port(), body)
}

/// nginx answering every request with 200, in its own process in the foreground, until `stop()`.
struct Nginx {
    let folder: URL
    let port = 19_876
    let process = Process()

    init() async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("logs"), withIntermediateDirectories: true)
        try """
        daemon off;
        worker_processes 1;
        pid \(folder.path)/nginx.pid;
        error_log \(folder.path)/logs/error.log;
        events { worker_connections 1024; }
        http {
          access_log off;
          client_body_temp_path \(folder.path)/body;
          server { listen 127.0.0.1:\(port); location / { client_max_body_size 1m; return 200 '{"ok":true}'; } }
        }
        """.write(to: folder.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-c", folder.appendingPathComponent("nginx.conf").path]
        do { try process.run() } catch { print("nginx did not start (apt-get install -y nginx): \(error)"); exit(1) }
        for _ in 0..<100 {
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .seconds(1)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        print("nginx did not answer on port \(port); is the port free?")
        exit(1)
    }

    func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Messages the hub has delivered, from its store.
func delivered(_ hub: Hub) async throws -> Int {
    try await hub.store.counts().filter { $0.state == .delivered }.reduce(0) { $0 + $1.count }
}

print("Switchboard benchmark: \(options.messages) messages, durability \(options.durability), \(ProcessInfo.processInfo.activeProcessorCount) cores")

// 1. Durable ingest: 64 clients, delivery off, every 202 is a committed (fsynced) message.
if options.phases.contains("ingest") {
    if options.load == "wrk" {
        let (answered, rate, p50, p99, stored) = try await withHub(deliver: false, sink: Sink()) { hub, port in
            let run = try wrk(port: port, seconds: options.seconds)
            let stored = try await hub.store.counts().reduce(0) { $0 + $1.count }
            return (run.requests, run.rate, run.p50, run.p99, stored)
        }
        print(
            "ingest:     \(format(rate, 0)) messages/s stored over HTTP with durability \(options.durability) (wrk, 64 connections); request p50 \(p50), p99 \(p99); \(stored) stored for \(answered) answered"
        )
    } else {
        let ingest = try await withHub(deliver: false, sink: Sink()) { _, port in
            _ = await closedLoop(port: port, count: 2_000)  // warm up connections
            return await closedLoop(port: port, count: options.messages)
        }
        print(
            "ingest:     \(format(Double(ingest.latencies.count) / ingest.seconds, 0)) messages/s stored over HTTP with durability \(options.durability) (64 clients); request p50 \(format(percentile(ingest.latencies, 0.5), 2)) ms, p99 \(format(percentile(ingest.latencies, 0.99), 2)) ms"
        )
    }

}

// 2. End to end: the same load with delivery on; from the first send to the last delivery at the sink.
if options.phases.contains("end-to-end") {
    let endToEndSink = Sink()
    let nginx = options.sink == "nginx" ? try await Nginx() : nil
    let sinkTask = nginx == nil ? Task { try await endToEndSink.application(port: 0, logger: quiet).runService() } : nil
    let endToEndPort = if let nginx { nginx.port } else { try await endToEndSink.port() }
    let endToEnd = try await withHub(deliver: true, sinkPort: endToEndPort) { hub, port in
        func arrived() async throws -> Int { nginx == nil ? endToEndSink.received.count : try await delivered(hub) }
        let start = ContinuousClock.now
        let sent: Int
        if options.load == "wrk" {
            _ = try wrk(port: port, seconds: options.seconds)
            sent = try await hub.store.counts().reduce(0) { $0 + $1.count }
            let seconds = (ContinuousClock.now - start).secondsDouble
            print("  while wrk ran: \(format(Double(sent) / seconds, 0)) accepted/s, \(format(Double(try await arrived()) / seconds, 0)) delivered/s")
        } else {
            sent = await closedLoop(port: port, count: options.messages).latencies.count
        }
        while try await arrived() < sent { try await Task.sleep(for: .milliseconds(5)) }
        return (Double(sent), (ContinuousClock.now - start).secondsDouble)
    }
    sinkTask?.cancel()
    nginx?.stop()
    print("end to end: \(format(endToEnd.0 / endToEnd.1, 0)) messages/s accepted and delivered to a loopback \(nginx == nil ? "sink" : "nginx")")

}

// 3. Latency at a steady 1,000 messages/s: accept-to-delivery, measured at the sink.
if options.phases.contains("latency") {
    let latencySink = Sink()
    let latency = try await withHub(deliver: true, sink: latencySink) { hub, port in
        let total = options.latencySeconds * 1_000
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<total {
                // Open loop: message n is due at start + n ms, whatever the answers do.
                let due = start + .milliseconds(n)
                if due > ContinuousClock.now { try? await Task.sleep(until: due) }
                group.addTask { _ = await post(port: port, n) }
            }
        }
        while latencySink.received.count < total { try await Task.sleep(for: .milliseconds(10)) }
        return latencySink.received.compactMap { received -> Double? in
            guard let sentAt = (try? JSONValue(json: received.body))?["sent_at"], case .int(let millis) = sentAt else { return nil }
            return Double(received.at - millis)
        }
    }
    print(
        "latency:    accept to delivery at 1,000 messages/s over \(options.latencySeconds) s: p50 \(format(percentile(latency, 0.5), 0)) ms, p99 \(format(percentile(latency, 0.99), 0)) ms, max \(format(latency.max() ?? .nan, 0)) ms"
    )
}
// 5. A bulk load into the Dataverse emulator with its limits on, and the naive way beside it.
if options.phases.contains("dataverse-bulk") {
    var settings = BulkLoadSettings()
    settings.records = options.records
    settings.batchSize = options.batchSize
    settings.batchWith = options.batchWith
    settings.naiveSeconds = options.naiveSeconds
    try await dataverseBulkLoad(settings, post: { port, n in await post(port: port, n) }, logger: quiet)
}
// 5b. A bulk load into the Finance & Operations emulator under priority-based throttling.
if options.phases.contains("fno-bulk") {
    var settings = FinanceOperationsBulkSettings()
    settings.records = options.records
    settings.batchSize = options.batchSize
    settings.naiveSeconds = options.naiveSeconds
    if let capacity = options.capacity { settings.capacity = capacity }
    try await financeOperationsBulkLoad(settings, post: { port, n in await post(port: port, n) }, logger: quiet)
}
// 6. Pruning a large store while webhooks arrive.
if options.phases.contains("prune") {
    try await pruneBenchmark(records: options.records)
}
// 4. The Dataverse emulator: simple requests per second with limits off.
if options.phases.contains("emulator") {
    for tls in [false, true] {
        let result = try await emulatorThroughput(tls: tls)
        print("emulator:   \(tls ? "HTTPS" : "HTTP "): \(result)")
    }
}

print("memory:     peak resident \(format(peakMemoryMiB(), 0)) MiB (hub, sink and clients in one process)")
// At top level the compiler would pick the blocking `shutdown()`; inside an async function it picks the async one.
func shutDownClient() async throws { try await client.shutdown() }
try await shutDownClient()

/// Runs the emulator in this process with limits off and drives it with 64 connections.
func emulatorThroughput(tls: Bool) async throws -> String {
    var configuration = EmulatorConfiguration()
    configuration.port = 0
    configuration.limits.enabled = false
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-emulator-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    if tls {
        let files = try SelfSignedCertificate.write(to: folder)
        configuration.tls = .init(certificatePath: files.certificate.path, keyPath: files.key.path)
    }
    let emulator = try DataverseEmulator(configuration: configuration)
    let listening = Latch<Int>()
    let task = Task { try await emulator.application(logger: quiet) { port in listening.set(port) }.runService() }
    defer { task.cancel() }
    let port = try await listening.value()
    let origin = "\(tls ? "https" : "http")://127.0.0.1:\(port)"
    let user = configuration.users[0]
    let (_, tokenJSON) = emulator.issuer.token(
        form: [
            "grant_type": "client_credentials", "client_id": user.clientID, "client_secret": user.clientSecret,
            "scope": "\(origin)/.default",
        ], basic: nil, resourceHost: "127.0.0.1:\(port)")
    let token = tokenJSON["access_token"]?.text ?? ""
    let account = try emulator.store.write { tables throws(DataverseError) in
        try tables.create(
            DefaultSchema.schema.table(logicalName: "account")!,
            RecordPayload.parse(
                .object(["name": .string("Benchmark"), "accountnumber": .string("B-1")]),
                table: DefaultSchema.schema.table(logicalName: "account")!))
    }
    guard options.load == "wrk" else {
        return "run with --load wrk (apt-get install -y wrk) to measure the emulator"
    }
    let get = try wrkRate(url: "\(origin)/api/data/v9.2/accounts(\(account.id))?$select=name", method: "GET", body: nil, token: token)
    let create = try wrkRate(url: "\(origin)/api/data/v9.2/accounts", method: "POST", body: #"{"name": "created by wrk"}"#, token: token)
    let upsert = try wrkRate(
        url: "\(origin)/api/data/v9.2/accounts(accountnumber='B-1')", method: "PATCH", body: #"{"name": "upserted by wrk"}"#, token: token)
    return
        "\(format(get, 0)) retrieves/s, \(format(create, 0)) creates/s, \(format(upsert, 0)) upserts by alternate key/s (wrk, 64 connections, \(options.seconds) s each, limits off)"
}

/// wrk with a bearer token against one URL; returns requests per second, or exits when some failed.
func wrkRate(url: String, method: String, body: String?, token: String) throws -> Double {
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-\(UUID().uuidString).lua")
    var lua =
        "wrk.method = \"\(method)\"\nwrk.headers[\"Authorization\"] = \"Bearer \(token)\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
    if let body { lua += "wrk.body = '\(body)'\n" }
    try lua.write(to: script, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: script) }
    let output = try runWrk(["-t2", "-c64", "-d\(options.seconds)s", "-s", script.path, url])
    if output.contains("Non-2xx") { print("wrk saw non-2xx answers for \(method) \(url):\n\(output)"); exit(1) }
    let line = output.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }
    return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
}

/// Runs wrk (Debian's package) to completion and returns what it printed.
func runWrk(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return output
}
