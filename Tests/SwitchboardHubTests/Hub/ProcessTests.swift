import AsyncHTTPClient
import Foundation
import NIOCore
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Synchronization
import Testing

@Suite("The switchboard binary", .serialized)
struct ProcessTests {
    @Test("init writes a workspace that validate accepts and whose tests pass")
    func initValidateTest() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let workspace = directory.url.appendingPathComponent("ws").path
        #expect(try await Binary.run(["init", workspace]).status == 0)
        let validate = try await Binary.run(["validate", workspace])
        #expect(validate.status == 0, "\(validate.error)")
        #expect(validate.output.contains("no problems"))
        let test = try await Binary.run(["test", workspace])
        #expect(test.status == 0)
        #expect(test.output.hasSuffix("2 passed, 0 failed\n"))
        let again = try await Binary.run(["init", workspace])
        #expect(again.status == 1)
        #expect(again.error.contains("exists already; pass --force to overwrite it"))
    }

    @Test("validate prints every problem as file:line:column: sentence and exits 1, with no Swift internals")
    func validateProblems() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try await Binary.run(["init", directory.path]).status == 0)
        let file = directory.url.appendingPathComponent("integrations/webshop-orders.yaml")
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "system: erp", with: "system: sap")
        text = text.replacingOccurrences(of: "max_attempts: 8", with: "max_attempts: eight")
        try text.write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: directory.url.appendingPathComponent("secrets/webshop-key"))
        let result = try await Binary.run(["validate", directory.path])
        #expect(result.status == 1)
        let lines = result.error.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        for line in lines { #expect(line.range(of: #"^integrations/webshop-orders\.yaml:\d+:\d+: "#, options: .regularExpression) != nil, "\(line)") }
        #expect(lines.contains { $0.hasSuffix("target.system 'sap' is not declared in switchboard.yaml") })
        #expect(lines.contains { $0.hasSuffix("delivery.max_attempts must be a whole number") })
        #expect(lines.contains { $0.hasSuffix("source.webhook.auth.secret refers to ${file:secrets/webshop-key}, which is not set") })
        #expect(!result.error.contains("Swift") && !result.error.contains("Error("))
    }

    @Test("test reports a failing expectation and exits 1")
    func testFailure() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try await Binary.run(["init", directory.path]).status == 0)
        let file = directory.url.appendingPathComponent("integrations/webshop-orders.yaml")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: "path: /api/sales-orders/1001", with: "path: /api/sales-orders/9")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try await Binary.run(["test", directory.path])
        #expect(result.status == 1)
        #expect(result.output.contains("path: expected /api/sales-orders/9, got /api/sales-orders/1001"))
        #expect(result.output.hasSuffix("1 passed, 1 failed\n"))
    }

    @Test("test never prints a secret: a header from a reference shows the reference, and the tests run with the secrets unset")
    func testRedactsSecrets() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try await Binary.run(["init", directory.path]).status == 0)
        let file = directory.url.appendingPathComponent("integrations/webshop-orders.yaml")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: "headers: { X-Source: webshop }", with: "headers: { X-Source: webshop, Authorization: Bearer guess }")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let withSecret = try await Binary.run(["test", "-w", directory.path, "--env", "production"], environment: ["ERP_TOKEN": "hunter2-erp-token"])
        #expect(withSecret.status == 1)
        #expect(withSecret.output.contains("header Authorization: expected Bearer guess, got Bearer ${env:ERP_TOKEN}"), "\(withSecret.output)")
        #expect(!withSecret.output.contains("hunter2") && !withSecret.error.contains("hunter2"))
        // Without the variable (as in CI) the tests still run.
        let withoutSecret = try await Binary.run(["test", "-w", directory.path, "--env", "production"], environment: ["ERP_TOKEN": ""])
        #expect(withoutSecret.output.hasSuffix("1 passed, 1 failed\n"), "\(withoutSecret.output) \(withoutSecret.error)")
    }

    /// A workspace whose single integration posts every message to the sink, one ordering key per ten messages.
    func crashWorkspace(_ directory: TemporaryDirectory, sinkPort: Int, grace: String = "10s") throws {
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            server: { shutdown_grace: \(grace) }
            systems:
              - { id: shop, kind: http, location: cloud }
              - id: erp
                kind: http
                location: on-premises
                connections: { default: { base_url: "http://127.0.0.1:\(sinkPort)" } }
            """)
        try directory.write(
            "integrations/orders.yaml",
            """
            id: orders
            title: Orders
            source: { system: shop, webhook: { path: /hooks/orders, auth: { kind: none } } }
            target: { system: erp, http: { method: POST, path: "/orders/{$.n}" } }
            delivery: { concurrency: 16, backoff: { initial: 50ms, max: 500ms } }
            """)
    }

    /// A slow sink and a workspace that delivers to it.
    func crashSetup(answerDelay: Duration, grace: String = "10s") async throws -> (TemporaryDirectory, Sink, Task<Void, any Error>) {
        let directory = try TemporaryDirectory()
        let sink = Sink()
        sink.setBehaviour { _, _ in .init(status: 200, delay: answerDelay) }
        let sinkTask = Task { try await sink.application(port: 0).runService() }
        try crashWorkspace(directory, sinkPort: try await sink.port(), grace: grace)
        return (directory, sink, sinkTask)
    }

    @Test("a message the hub is processing every time it is killed is dead as a poison message after 3 restarts, instead of forever")
    func poisonMessage() async throws {
        // The target never answers in time, so the message is always in flight when the hub dies.
        let (directory, sink, sinkTask) = try await crashSetup(answerDelay: .seconds(20))
        defer { directory.remove(); sinkTask.cancel() }
        var id: String?
        for round in 1...4 {
            let hub = try await RunningBinary(workspace: directory.url)
            if round == 1 { id = await postNumbered(0..<1, port: hub.port).first?.id }
            // Restarts 1 to 3 take the message back and send it again.
            #expect(await eventually { sink.received.count == round }, "round \(round): \(sink.received.count) requests")
            hub.kill()
            while hub.process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        }
        // The fourth interruption is one too many: the next start makes it dead instead of sending it.
        let last = try await RunningBinary(workspace: directory.url)
        let messageID = try #require(id)
        #expect(
            await eventually {
                (try? await Binary.run(["messages", "show", "-w", directory.path, messageID]).output.contains("state:        dead")) == true
            })
        #expect(await last.terminate() == 0)
        #expect(sink.received.count == 4)
        let shown = try await Binary.run(["messages", "show", "-w", directory.path, messageID]).output
        #expect(shown.contains("poison message: the hub stopped while processing it 4 times (at most 3 allowed)"), "\(shown)")
        #expect(shown.contains("interruption 3 of at most 3 before it is dead as a poison message"))
    }

    @Test(
        "SIGHUP reloads the workspace in the running process: the next webhook is delivered to the new path; a broken file is logged and changes nothing"
    )
    func hangupReloads() async throws {
        let (directory, sink, sinkTask) = try await crashSetup(answerDelay: .zero)
        defer { directory.remove(); sinkTask.cancel() }
        let hub = try await RunningBinary(workspace: directory.url)
        _ = await postNumbered(0..<1, port: hub.port)
        #expect(await eventually { sink.received.count == 1 })
        let orders = try String(contentsOf: directory.url.appendingPathComponent("integrations/orders.yaml"), encoding: .utf8)
        try directory.write("integrations/orders.yaml", orders.replacingOccurrences(of: "/orders/{$.n}", with: "/v2/orders/{$.n}"))
        hub.hangUp()
        // Until the reload has happened, a webhook still goes to the old path; after it, to the new.
        let reloaded = await eventually {
            _ = await postNumbered(1..<2, port: hub.port)
            return sink.received.contains { $0.path == "/v2/orders/1" }
        }
        #expect(reloaded, "\(sink.received.map(\.path)) \(hub.logged)")
        try directory.write("integrations/orders.yaml", "id: [broken\n")
        hub.hangUp()
        #expect(await eventually { hub.logged.contains("reload refused; the hub runs the workspace it ran") }, "\(hub.logged)")
        #expect(hub.logged.contains("integrations/orders.yaml:"), "\(hub.logged)")
        _ = await postNumbered(2..<3, port: hub.port)
        #expect(await eventually { sink.received.contains { $0.path == "/v2/orders/2" } })
        #expect(await hub.terminate() == 0)
    }

    @Test("a graceful stop says what it did: deliveries past the grace are interrupted attempts, released, counted")
    func stopReport() async throws {
        let (directory, sink, sinkTask) = try await crashSetup(answerDelay: .seconds(20), grace: "500ms")
        defer { directory.remove(); sinkTask.cancel() }
        let hub = try await RunningBinary(workspace: directory.url)
        let ids = await postNumbered(0..<2, port: hub.port).map(\.id)
        #expect(await eventually { sink.received.count == 2 })
        #expect(await hub.terminate() == 0)
        #expect(await eventually { hub.printed.contains("switchboard stopped;") })
        let line = hub.printed.split(separator: "\n").last { $0.hasPrefix("switchboard stopped;") }.map(String.init) ?? ""
        #expect(line.hasPrefix("switchboard stopped; delivery stopped in "), "\(hub.printed)")
        #expect(
            line.hasSuffix(
                ": 0 of 2 deliveries in flight finished, 2 interrupted when the 500 ms grace ended and released, each counted as an attempt"))
        let list = try await Binary.run(["messages", "list", "-w", directory.path, "--json"]).output
        let messages = try JSONValue(json: Array(list.utf8)).arrayItems
        #expect(messages.count == 2)
        for message in messages {
            #expect(message["state"] == .string("ready") && message["attempts"] == .int(1), "\(message)")
            #expect(ids.contains(message["id"]?.text ?? ""))
        }
    }

    @Test("kill -9 half way through 2,000 messages to a slow target loses no acknowledged message")
    func crashLosesNothing() async throws {
        // 16 deliveries at a time, 200 ms each: at most 80 a second, slower than the hub accepts
        // even when the machine is busy, so work is left when it is killed.
        let (directory, sink, sinkTask) = try await crashSetup(answerDelay: .milliseconds(200))
        defer { directory.remove(); sinkTask.cancel() }

        let first = try await RunningBinary(workspace: directory.url)
        let killed = Locked(false)
        var acknowledged = await postNumbered(0..<2_000, port: first.port) { count in
            if count == 1_000,
                killed.withLock({ value in
                    defer { value = true }; return !value
                })
            {
                first.kill()
            }
        }.map(\.id)
        let wasKilled = killed.withLock { $0 }
        #expect(wasKilled)
        #expect(acknowledged.count >= 1_000)
        let deliveredBeforeRestart = Set(sink.received.compactMap { $0.header("X-Switchboard-Message-Id") })
        #expect(deliveredBeforeRestart.count < acknowledged.count, "the slow target should still have had work when the hub was killed")

        sink.setBehaviour { _, _ in .init(status: 200) }
        let second = try await RunningBinary(workspace: directory.url)
        acknowledged += await postNumbered(2_000..<(4_000 - acknowledged.count), port: second.port).map(\.id)
        let expected = Set(acknowledged)
        let allArrived = await eventually(60) {
            expected.isSubset(of: Set(sink.received.compactMap { $0.header("X-Switchboard-Message-Id") }))
        }
        let missing = expected.subtracting(sink.received.compactMap { $0.header("X-Switchboard-Message-Id") })
        #expect(allArrived, "\(missing.count) acknowledged messages never reached the target")
        #expect(await second.terminate() == 0)
    }

    @Test("SIGTERM stops the hub gracefully with exit code 0, and a restart resumes the backlog")
    func sigterm() async throws {
        let (directory, sink, sinkTask) = try await crashSetup(answerDelay: .milliseconds(20))
        defer { directory.remove(); sinkTask.cancel() }
        let hub = try await RunningBinary(workspace: directory.url)
        let acknowledged = await postNumbered(0..<300, port: hub.port).map(\.id)
        #expect(acknowledged.count == 300)
        #expect(await hub.terminate() == 0)
        let list = try await Binary.run(["messages", "list", "-w", directory.path, "--state", "leased", "--json"])
        #expect(list.output == "[]\n", "no message may stay leased after a graceful stop")
        let restarted = try await RunningBinary(workspace: directory.url)
        let all = Set(acknowledged)
        #expect(await eventually(30) { all.isSubset(of: Set(sink.received.compactMap { $0.header("X-Switchboard-Message-Id") })) })
        #expect(await restarted.terminate() == 0)
        let dlq = try await Binary.run(["dlq", "list", "-w", directory.path])
        #expect(dlq.output == "no messages match\n")
    }
}

@Suite("README's first command", .serialized)
struct DemoCommandTests {
    @Test("demo with port 9090 taken says so in one sentence and exits 1 before the hub starts")
    func demoPortTaken() async throws {
        let other = Sink()
        let holder = Task { try await other.application(port: 9090).runService() }
        _ = try await other.port()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await Binary.run(["demo", directory.url.appendingPathComponent("quickstart").path], timeout: .seconds(30))
        // The next test runs the demo on 9090: the port is free only once the server has closed.
        holder.cancel()
        _ = await holder.result
        #expect(result.status == 1)
        #expect(
            result.error.hasSuffix(
                "127.0.0.1:9090 is already in use: stop the other process or run the demo where port 9090 is free (its stand-in ERP listens there)\n"),
            "\(result.error)")
        #expect(!result.output.contains("hub listening"))
    }

    @Test("switchboard demo writes the quickstart, runs it end to end, and stops cleanly on SIGINT")
    func demo() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (text, status) = try await Binary.printed(
            Binary.url, ["demo", directory.url.appendingPathComponent("quickstart").path], until: "erp received PUT /api/sales-orders/1003",
            then: SIGINT)
        #expect(text.contains("wrote the quickstart workspace"))
        #expect(text.contains("web shop sent order 1002: 202"))
        #expect(text.contains(#"erp received PUT /api/sales-orders/1001 {"channel":"web""#), "\(text)")
        #expect(!text.contains("/api/sales-orders/1002"), "the pending order is filtered, never sent")
        #expect(status == 0)
    }
}
