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
        #expect(try await Binary.run(["init", "-w", directory.path]).status == 0)
        let hub = try await RunningBinary(["run", "-w", directory.path, "--port", "0", "--log-level", "notice"], listeningLine: "listening on")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var unauthorized = 0
        do {
            func api(_ attempt: Int) async throws -> HTTPClientResponse {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/api/v1/integrations")
                request.headers.add(name: "Authorization", value: "Bearer sbt_guess-\(attempt)-hunter2")
                return try await client.execute(request, timeout: .seconds(10))
            }
            func login(_ attempt: Int) async throws -> UInt {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/login")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: "token=sbt_guess-\(attempt)-hunter2"))
                return try await client.execute(request, timeout: .seconds(10)).status.code
            }
            for attempt in 1...5 {
                #expect(try await api(attempt).status.code == 401)
                unauthorized += 1
            }
            // The sixth failure starts the wait; however slow this machine is, a 429 comes.
            var blocked: HTTPClientResponse?
            for attempt in 6...20 where blocked == nil {
                let response = try await api(attempt)
                if response.status.code == 429 { blocked = response } else { unauthorized += 1 }
            }
            let answer = try #require(blocked)
            #expect(answer.headers.first(name: "Retry-After").flatMap(Int.init) ?? 0 >= 1)
            let body = String(buffer: try await answer.body.collect(upTo: 1 << 16))
            #expect(body.contains("too many wrong tokens from 127.0.0.1; try again in"), "\(body)")
            // The sign-in page shares the count: a 429 too (or, had the wait just ended, a 401
            // that starts a longer one, and then the 429).
            var status = try await login(21)
            if status == 401 {
                unauthorized += 1
                status = try await login(22)
            }
            #expect(status == 429)
        } catch {
            Issue.record("\(error)")
        }
        try await client.shutdown()
        #expect(await hub.terminate() == 0)
        let lines = hub.logged.split(separator: "\n").filter { $0.contains("sign-in with a wrong or revoked token") }
        #expect(lines.count == unauthorized, "\(hub.logged)")
        #expect(lines.allSatisfy { $0.contains("sb.client=127.0.0.1") })
        #expect(!hub.logged.contains("hunter2"))
    }

    @Test("the wait doubles from 1 s after five free failures, is capped at 15 min, and a success or an hour without failures starts again")
    func backOff() {
        let clock = Locked<Int64>(0)
        let throttle = SignInThrottle(logger: Logger(label: "test"), now: { clock.withLock { $0 } })
        for _ in 1...5 { throttle.failed("a", door: "api") }
        #expect(throttle.wait("a") == nil)
        throttle.failed("a", door: "api")
        #expect(throttle.wait("a") == 1)
        clock.withLock { $0 += 1_000 }
        #expect(throttle.wait("a") == nil)
        throttle.failed("a", door: "dashboard")
        #expect(throttle.wait("a") == 2)
        for _ in 1...20 { throttle.failed("a", door: "api") }
        #expect(throttle.wait("a") == 900)
        throttle.succeeded("a")
        #expect(throttle.wait("a") == nil)
        for _ in 1...6 { throttle.failed("b", door: "api") }
        clock.withLock { $0 += 3_600_000 }
        throttle.failed("b", door: "api")
        #expect(throttle.wait("b") == nil, "an hour without failures starts the count again")
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
