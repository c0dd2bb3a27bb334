import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@testable import SwitchboardServer

@Suite("Wrong tokens are throttled per address and logged without the token")
struct SignInThrottleTests {
    @Test("five wrong tokens get 401; then the address waits with 429 and Retry-After, at the API and the dashboard alike")
    func throttled() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try Binary.run(["init", "-w", directory.path]).status == 0)
        let hub = try RunningBinary(["run", "-w", directory.path, "--port", "0", "--log-level", "notice"], listeningLine: "listening on")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            var statuses: [UInt] = []
            for attempt in 1...6 {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/api/v1/integrations")
                request.headers.add(name: "Authorization", value: "Bearer sbt_guess-\(attempt)-hunter2")
                statuses.append(try await client.execute(request, timeout: .seconds(10)).status.code)
            }
            #expect(statuses == [401, 401, 401, 401, 401, 401])
            var api = HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/api/v1/integrations")
            api.headers.add(name: "Authorization", value: "Bearer sbt_guess-7-hunter2")
            let blocked = try await client.execute(api, timeout: .seconds(10))
            #expect(blocked.status.code == 429)
            #expect(blocked.headers.first(name: "Retry-After").flatMap(Int.init) ?? 0 >= 1)
            let body = String(buffer: try await blocked.body.collect(upTo: 1 << 16))
            #expect(body.contains("too many wrong tokens from 127.0.0.1; try again in"), "\(body)")
            var login = HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/login")
            login.method = .POST
            login.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            login.body = .bytes(ByteBuffer(string: "token=sbt_guess-8-hunter2"))
            #expect(try await client.execute(login, timeout: .seconds(10)).status.code == 429)
        } catch {
            Issue.record("\(error)")
        }
        try await client.shutdown()
        #expect(await hub.terminate() == 0)
        let lines = hub.logged.split(separator: "\n").filter { $0.contains("sign-in with a wrong or revoked token") }
        #expect(lines.count == 6, "\(hub.logged)")
        #expect(lines.allSatisfy { $0.contains("sb.client=127.0.0.1") && $0.contains("sb.door=api") })
        #expect(!hub.logged.contains("hunter2"))
    }

    @Test("behind a trusted proxy the client is the right-most forwarded address that is not a proxy; a forged left part is ignored")
    func forwardedFor() {
        let throttle = SignInThrottle(logger: Logger(label: "test"), trustedProxies: ["127.0.0.1", "10.0.0.2"], now: { 0 })
        #expect(throttle.client(peer: "127.0.0.1", forwardedFor: "203.0.113.7") == "203.0.113.7")
        #expect(throttle.client(peer: "127.0.0.1", forwardedFor: "198.51.100.1, 203.0.113.7, 10.0.0.2") == "203.0.113.7")
        #expect(throttle.client(peer: "127.0.0.1", forwardedFor: nil) == "127.0.0.1")
        // An untrusted peer's header is not believed.
        #expect(throttle.client(peer: "192.0.2.9", forwardedFor: "203.0.113.7") == "192.0.2.9")
        for _ in 1...6 { throttle.failed("203.0.113.7", door: "api") }
        #expect(throttle.wait("203.0.113.7") == 1)
        #expect(throttle.wait("198.51.100.1") == nil)
    }
}
