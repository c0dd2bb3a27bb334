import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("Dataverse emulator: service protection limits")
struct EmulatorLimitsTests {
    /// A clock in epoch milliseconds that moves only when told.
    final class Millis: Sendable {
        let now = Locked<Int64>(1_700_000_000_000)
        func advance(_ millis: Int64) { now.withLock { $0 += millis } }
        var read: @Sendable () -> Int64 { { self.now.withLock { $0 } } }
    }

    @Test("the request limit answers 429 with the documented code, message and Retry-After until the oldest request leaves the window")
    func requestLimit() throws {
        let clock = Millis()
        let protection = ServiceProtection(limits: .init(maxRequests: 3, windowMillis: 10_000), clock: clock.read)
        for _ in 0..<3 {
            let started = try protection.admit("app").get()
            protection.finish("app", startedAt: started, executionMillis: 5)
            clock.advance(1_000)
        }
        guard case .failure(let error) = protection.admit("app") else { Issue.record("the fourth request was admitted"); return }
        #expect(error.status == 429)
        #expect(error.code == "0x80072322")
        #expect(error.message == "Number of requests exceeded the limit of 3 over time window of 10 seconds.")
        // The first request (at 0 s) leaves the window at 10 s; it is now 3 s.
        #expect(error.headers["Retry-After"] == "7")
        #expect(protection.headers("app").first { $0.0 == "x-ms-ratelimit-burst-remaining-xrm-requests" }?.1 == "0")
        // Another user has its own window.
        #expect((try? protection.admit("other").get()) != nil)
        clock.advance(7_000)
        #expect((try? protection.admit("app").get()) != nil)
    }

    @Test("combined execution time and concurrency are limited per user")
    func executionTimeAndConcurrency() throws {
        let clock = Millis()
        let protection = ServiceProtection(limits: .init(maxExecutionMillis: 1_000, maxConcurrent: 2, windowMillis: 60_000), clock: clock.read)
        let first = try protection.admit("app").get()
        _ = try protection.admit("app").get()
        guard case .failure(let concurrent) = protection.admit("app") else { Issue.record("a third concurrent request was admitted"); return }
        #expect(concurrent.code == "0x80072326")
        #expect(concurrent.message == "Number of concurrent requests exceeded the limit of 2.")
        protection.finish("app", startedAt: first, executionMillis: 1_200)
        guard case .failure(let slow) = protection.admit("app") else { Issue.record("a request was admitted past the execution-time limit"); return }
        #expect(slow.code == "0x80072321")
        #expect(
            slow.message.hasPrefix(
                "Combined execution time of incoming requests exceeded limit of 1,000 milliseconds over time window of 60 seconds."))
        #expect(slow.headers["Retry-After"] == "60")
    }

    @Test("over HTTPS a throttled request gets 429 with Retry-After and the rate-limit headers, and the stats count it")
    func throttledOverHTTPS() async throws {
        // The window's clock moves only when told, so seven requests fall inside it however busy the machine is.
        let clock = Millis()
        let harness = try await EmulatorHarness(limits: .init(maxRequests: 5, windowMillis: 8_000), millis: clock.read)
        do {
            let token = try await harness.token()
            var statuses: [Int] = []
            var throttled: EmulatorHarness.Answer?
            for _ in 0..<7 {
                let answer = try await harness.send("GET", "accounts", token: token)
                statuses.append(answer.status)
                if answer.status == 429 { throttled = answer }
            }
            #expect(statuses == [200, 200, 200, 200, 200, 429, 429])
            if let answer = throttled {
                #expect(answer.errorCode == "0x80072322")
                #expect(Int(answer.headers["retry-after"] ?? "") ?? 0 >= 1)
                #expect(answer.headers["x-ms-ratelimit-burst-remaining-xrm-requests"] == "0")
            } else {
                Issue.record("no request was throttled")
            }
            let stats = try await harness.send("GET", "\(harness.origin)/_emulator/stats")
            #expect(stats.json["throttled"]?["requests"] == .int(2))
            #expect(stats.json["users"]?["app-1"]?["entitlement_requests_24h"] == .int(5))
            // After the window the user is served again.
            clock.advance(8_000)
            #expect(try await harness.send("GET", "accounts", token: token).status == 200)
        } catch {
            Issue.record("the emulator could not be reached: \(error)")
        }
        try await harness.stop()
    }

    @Test("the default schema loads, and a schema file with mistakes reports each as file:line:column")
    func schemaFiles() throws {
        let schema = DefaultSchema.schema
        // The schema's tables, then the system tables every environment has.
        #expect(
            schema.tables.map(\.logicalName)
                == ["account", "contact", "lead", "opportunity", "product", "salesorder", "invoice", "salesorderdetail", "sdkmessage", "sdkmessagefilter"])
        let text = """
            tables:
              - logical_name: widget
                entity_set: widgets
                primary_id: widgetid
                primary_name: title
                columns:
                  size: { type: huge }
                  owner: { type: lookup, target: person }
                keys:
                  - { name: k, columns: [colour] }
            """
        #expect(throws: WorkspaceError.self) { try SchemaReader.read(text, file: "schema.yaml") }
        do {
            _ = try SchemaReader.read(text, file: "schema.yaml")
        } catch let error as WorkspaceError {
            let lines = error.diagnostics.map(\.description)
            #expect(lines.contains { $0.hasPrefix("schema.yaml:7:") && $0.contains("unknown type 'huge'") })
            #expect(lines.contains { $0.contains("colour, which is not a column") })
            #expect(lines.contains { $0.contains("primary_name names title") })
            #expect(lines.contains { $0.contains("looks up person, which is not a table") })
        }
    }
}

@Suite("Dataverse emulator: tokens")
struct EmulatorTokenTests {
    @Test("a token is refused once it expires, for another resource, or when it was not signed by the emulator")
    func tokenLifetime() throws {
        let now = Locked<Date>(Date(timeIntervalSince1970: 1_800_000_000))
        let issuer = try TokenIssuer(
            tenant: "t", users: [ApplicationUser(clientID: "app", clientSecret: "s")], lifetime: 60, clock: { now.withLock { $0 } })
        let (status, body) = issuer.token(
            form: ["grant_type": "client_credentials", "client_id": "app", "client_secret": "s", "scope": "https://org.local/.default"],
            basic: nil, resourceHost: "org.local:8443")
        #expect(status == 200)
        #expect(body["expires_in"] == .int(60))
        let token = try #require(body["access_token"]?.text)
        #expect((try? issuer.verify(authorization: "Bearer \(token)", resourceHost: "org.local:8443").get())?.clientID == "app")
        #expect(throws: TokenIssuer.TokenRejection.self) { try issuer.verify(authorization: "Bearer \(token)", resourceHost: "other.local").get() }
        now.withLock { $0 += 61 }
        #expect(throws: TokenIssuer.TokenRejection.self) { try issuer.verify(authorization: "Bearer \(token)", resourceHost: "org.local:8443").get() }
        let other = try TokenIssuer(tenant: "t", users: [ApplicationUser(clientID: "app", clientSecret: "s")])
        let foreign = try #require(
            other.token(
                form: ["grant_type": "client_credentials", "client_id": "app", "client_secret": "s", "scope": "https://org.local/.default"],
                basic: nil, resourceHost: "org.local"
            ).body["access_token"]?.text)
        #expect(throws: TokenIssuer.TokenRejection.self) { try issuer.verify(authorization: "Bearer \(foreign)", resourceHost: "org.local").get() }
        let badScope = issuer.token(
            form: ["grant_type": "client_credentials", "client_id": "app", "client_secret": "s", "scope": "https://elsewhere/.default"],
            basic: nil, resourceHost: "org.local")
        #expect(badScope.status == 400)
        #expect(badScope.body["error"]?.text == "invalid_scope")
    }
}
