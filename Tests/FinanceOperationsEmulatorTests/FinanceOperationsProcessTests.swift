import AsyncHTTPClient
import FinanceOperationsEmulatorCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SwitchboardTestHarness
import SwitchboardTesting
import SwitchboardValues
import Testing

/// `switchboard emulate finance-operations` as a process: the real binary, real HTTPS on loopback.
@Suite("switchboard emulate finance-operations, the process")
struct FinanceOperationsProcessTests {
    final class RunningEmulator: Sendable {
        let binary: RunningBinary
        let folder: TemporaryDirectory
        let client: HTTPClient
        var port: Int { binary.port }
        var base: String { "https://127.0.0.1:\(port)" }
        var caPath: String { folder.url.appendingPathComponent("tls/ca.pem").path }

        init(_ extra: [String] = []) async throws {
            folder = try TemporaryDirectory()
            binary = try await RunningBinary(
                ["emulate", "finance-operations", "--self-signed", folder.url.appendingPathComponent("tls").path, "--port", "0"] + extra,
                listeningLine: "listening at")
            var configuration = HTTPClient.Configuration()
            var trust = TLSConfiguration.makeClientConfiguration()
            trust.trustRoots = .file(folder.url.appendingPathComponent("tls/ca.pem").path)
            configuration.tlsConfiguration = trust
            client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        }

        /// A client-credentials token, as Microsoft Entra issues them, for `scope`.
        func token(_ id: String, _ secret: String, scope: String? = nil) async throws -> (status: Int, json: JSONValue) {
            var request = HTTPClientRequest(url: "\(base)/switchboard/oauth2/v2.0/token")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let audience = (scope ?? "\(base)/.default").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials&client_id=\(id)&client_secret=\(secret)&scope=\(audience)"))
            return try await send(request)
        }

        func send(_ request: HTTPClientRequest) async throws -> (status: Int, json: JSONValue) {
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), (try? JSONValue(json: Array(body.readableBytesView))) ?? .null)
        }

        func call(_ method: HTTPMethod, _ path: String, token: String?, body: String? = nil) async throws -> (status: Int, json: JSONValue) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            return try await send(request)
        }

        func terminate() async -> Int32 {
            try? await client.shutdown()
            let status = await binary.terminate()
            folder.remove()
            return status
        }
    }

    @Test("over HTTPS: a registered application's token reaches /data; an unregistered one's, another audience's and none are refused with 401")
    func tokensAndRegistration() async throws {
        let emulator = try await RunningEmulator(["--client", "app-a:secret-a:usmf", "--client", "app-b:secret-b:usrt", "--unregistered-client", "stranger:secret-s"])
        let issued = try await emulator.token("app-a", "secret-a")
        #expect(issued.status == 200, "\(issued.json)")
        let token = try #require(issued.json["access_token"]?.text)
        let created = try await emulator.call(
            .POST, "/data/CustomersV3", token: token,
            body: #"{"CustomerAccount":"US-001","OrganizationName":"Contoso","CustomerGroupId":"10","SalesCurrencyCode":"USD"}"#)
        #expect(created.status == 201 && created.json["dataAreaId"] == .string("usmf"), "\(created.json)")
        let read = try await emulator.call(.GET, "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')", token: token)
        #expect(read.status == 200 && read.json["OrganizationName"] == .string("Contoso"), "\(read.json)")
        // app-b's user works in usrt: the usmf record is not in its default company.
        let other = try #require(try await emulator.token("app-b", "secret-b").json["access_token"]?.text)
        #expect(try await emulator.call(.GET, "/data/CustomersV3", token: other).json["value"] == .array([]))
        #expect(try await emulator.call(.GET, "/data/CustomersV3?cross-company=true", token: other).json["value"]?.text.contains("Contoso") == true)

        let stranger = try await emulator.token("stranger", "secret-s")
        #expect(stranger.status == 200, "Entra issues the token; Finance and Operations refuses the application")
        let refused = try await emulator.call(.GET, "/data/CustomersV3", token: stranger.json["access_token"]?.text)
        #expect(refused.status == 401)
        #expect(refused.json["error"]?["message"]?.text.contains("Microsoft Entra applications") == true, "\(refused.json)")
        #expect(try await emulator.call(.GET, "/data/CustomersV3", token: nil).status == 401)
        let elsewhere = try await emulator.token("app-a", "secret-a", scope: "https://contoso.operations.dynamics.com/.default")
        if let wrong = elsewhere.json["access_token"]?.text {
            #expect(try await emulator.call(.GET, "/data/CustomersV3", token: wrong).status == 401, "a token for another environment")
        } else {
            #expect(elsewhere.status == 400, "\(elsewhere.json)")
        }
        #expect(try await emulator.token("app-a", "wrong").status == 401)
        #expect(await emulator.terminate() == 0)
    }

    @Test("throttling by priority: a low-priority application gets 429 with Retry-After at half the capacity while a high-priority one goes on")
    func throttlingByPriority() async throws {
        let emulator = try await RunningEmulator([
            "--client", "low-app:secret-l", "--client", "high-app:secret-h", "--priority", "low-app=low", "--priority", "high-app=high",
            "--capacity", "20", "--window", "60s",
        ])
        let low = try #require(try await emulator.token("low-app", "secret-l").json["access_token"]?.text)
        let high = try #require(try await emulator.token("high-app", "secret-h").json["access_token"]?.text)
        var statuses: [Int] = []
        for _ in 0..<11 { statuses.append(try await emulator.call(.GET, "/data/CustomersV3", token: low).status) }
        #expect(statuses == Array(repeating: 200, count: 10) + [429], "\(statuses)")
        var request = HTTPClientRequest(url: emulator.base + "/data/CustomersV3")
        request.headers.add(name: "Authorization", value: "Bearer \(low)")
        let throttled = try await emulator.client.execute(request, timeout: .seconds(10))
        #expect(throttled.status.code == 429)
        #expect(throttled.headers.first(name: "Retry-After") == "10", "called again before its Retry-After: twice as long")
        let text = String(buffer: try await throttled.body.collect(upTo: 1 << 16))
        #expect(text.contains("due to system experiencing high resource utilization"), "\(text)")
        var highStatuses: [Int] = []
        for _ in 0..<11 { highStatuses.append(try await emulator.call(.GET, "/data/CustomersV3", token: high).status) }
        #expect(highStatuses == Array(repeating: 200, count: 10) + [429], "high priority goes on to the whole capacity: \(highStatuses)")
        // The admin endpoints count what happened.
        let stats = try await emulator.call(.GET, "/_emulator/stats", token: nil)
        #expect(stats.json["throttled_by_priority"]?["low"] == .int(2) && stats.json["throttled_by_priority"]?["high"] == .int(1), "\(stats.json)")
        #expect(stats.json["requests_by_status"]?["429"] == .int(3) && stats.json["requests_by_status"]?["200"] == .int(20), "\(stats.json)")
        let metrics = try await emulator.client.execute(HTTPClientRequest(url: emulator.base + "/_emulator/metrics"), timeout: .seconds(10))
        let exposition = String(buffer: try await metrics.body.collect(upTo: 1 << 20))
        #expect(exposition.contains(#"finance_operations_emulator_throttled_total{priority="low"} 2"#), "\(exposition)")
        let bad = try await Binary.run(["emulate", "finance-operations", "--client", "a:b", "--priority", "a=urgent"])
        #expect(bad.status == 1 && bad.error == "--priority a=urgent: write it as CLIENT_ID=low, CLIENT_ID=medium or CLIENT_ID=high\n", "\(bad)")
        #expect(await emulator.terminate() == 0)
    }

    @Test("POST /_emulator/seed creates records as a client would, all or none, and names the first record it refuses")
    func seed() async throws {
        let emulator = try await RunningEmulator()
        let seeded = try await emulator.call(
            .POST, "/_emulator/seed", token: nil,
            body: #"{"CustomersV3": [{"CustomerAccount": "S-1", "CustomerGroupId": "10", "SalesCurrencyCode": "EUR"}, {"dataAreaId": "usrt", "CustomerAccount": "S-2", "CustomerGroupId": "20", "SalesCurrencyCode": "USD"}], "VendorsV2": [{"VendorGroupId": "V1"}]}"#)
        #expect(seeded.status == 200 && seeded.json["created"] == .int(3), "\(seeded.json)")
        let refused = try await emulator.call(
            .POST, "/_emulator/seed", token: nil, body: #"{"CustomersV3": [{"CustomerAccount": "S-3", "CustomerGroupId": "10", "SalesCurrencyCode": "EUR"}, {"CustomerAccount": "S-4"}]}"#)
        #expect(refused.status == 400 && refused.json["error"]?["message"]?.text.hasPrefix("CustomersV3[1]: Write failed") == true, "\(refused.json)")
        let stats = try await emulator.call(.GET, "/_emulator/stats", token: nil)
        #expect(stats.json["records"]?["CustomersV3"] == .int(2), "all or none: S-3 is not there either; \(stats.json)")
        #expect(try await emulator.call(.POST, "/_emulator/seed", token: nil, body: #"{"Nothing": []}"#).status == 400)
        #expect(await emulator.terminate() == 0)
    }

    @Test("--print-schema prints the default entities as a file that loads back to the same entities")
    func printSchema() async throws {
        let printed = try await Binary.run(["emulate", "finance-operations", "--print-schema"])
        #expect(printed.status == 0)
        let schema = try EntitySchemaReader.read(printed.output, file: "printed.yaml")
        #expect(schema.entities == DefaultEntities.schema.entities)
    }

    @Test("bad options get one sentence and exit 1")
    func badOptions() async throws {
        let client = try await Binary.run(["emulate", "finance-operations", "--client", "no-secret"])
        #expect(client.status == 1 && client.error == "--client no-secret: write it as CLIENT_ID:SECRET or CLIENT_ID:SECRET:COMPANY\n", "\(client)")
        let page = try await Binary.run(["emulate", "finance-operations", "--page-size", "20000"])
        #expect(page.status == 1 && page.error == "--page-size 20000: give 1 to 10,000\n", "\(page)")
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.write("fno.yaml", "entities:\n  - set: Things\n    type: Thing\n    key: [Code]\n    fields:\n      Code: { type: text }\n")
        let schema = try await Binary.run(["emulate", "finance-operations", "--schema", folder.url.appendingPathComponent("fno.yaml").path])
        #expect(schema.status == 1 && schema.error.contains("fno.yaml:6:") && schema.error.contains("unknown type 'text'"), "\(schema)")
    }

    static let pythonAvailable =
        (try? Binary.runToolSynchronously("/usr/bin/env", ["python3", "-c", "import azure.identity, requests"], timeout: .seconds(30)))?.status == 0

    @Test(
        "azure-identity's ClientSecretCredential gets a token and Python requests shaped as the documentation shows work",
        .enabled(if: pythonAvailable, "needs pip install azure-identity requests (.ci/run installs them)"))
    func pythonClient() async throws {
        let emulator = try await RunningEmulator()
        let script = Repository.root.appendingPathComponent("Benchmarks/clients/fno_odata_check.py")
        let checked = try await Binary.runTool("/usr/bin/env", ["python3", script.path, String(emulator.port), emulator.caPath], timeout: .seconds(120))
        #expect(checked.status == 0, "\(checked.output)\(checked.error)")
        #expect(checked.output.contains("finance and operations check passed"), "\(checked.output)\(checked.error)")
        #expect(await emulator.terminate() == 0)
    }
}
