import AsyncHTTPClient
import Foundation
import NIOCore
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("Starting and stopping, as a user sees it")
struct StartStopTests {
    /// A port some other process holds for the whole test.
    func takenPort() async throws -> (port: Int, holder: Task<Void, any Error>) {
        let other = Sink()
        let holder = Task { try await other.application(port: 0).runService() }
        return (try await other.port(), holder)
    }

    @Test("run, sink and emulate dataverse on a port that is taken say so in one sentence and exit 1 at once, instead of hanging")
    func portTaken() async throws {
        let (port, holder) = try await takenPort()
        defer { holder.cancel() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try await Binary.run(["init", directory.path]).status == 0)
        let commands: [(arguments: [String], remedy: String)] = [
            (["run", directory.path, "--port", "\(port)"], "set server.port"),
            (["sink", "--port", "\(port)"], "pass another --port"),
            (["emulate", "dataverse", "--port", "\(port)"], "pass another --port"),
        ]
        for command in commands {
            // Hanging, as before, would end in the watchdog's SIGKILL (status 9).
            let result = try await Binary.run(command.arguments, timeout: .seconds(30))
            #expect(result.status == 1, "switchboard \(command.arguments.joined(separator: " ")): \(result.error)")
            let lastLine = result.error.split(separator: "\n").last.map(String.init)
            #expect(lastLine == "127.0.0.1:\(port) is already in use: stop the other process or \(command.remedy)")
            #expect(!result.output.contains("listening"), "\(result.output)")
        }
    }

    @Test("sink says it listens once it does, and prints each request as it arrives with its headers, credentials redacted")
    func sinkPrints() async throws {
        let sink = try await RunningBinary(["sink", "--port", "0"], listeningLine: "sink listening")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(sink.port)/api/orders?x=1")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer hunter2")
        request.headers.add(name: "X-Api-Key", value: "k-42-secret")
        request.headers.add(name: "X-Source", value: "webshop")
        request.body = .bytes(ByteBuffer(string: #"{"id":7}"#))
        // Sent right after the line: the sink was already listening when it said so.
        let response = try await client.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 200)
        try await client.shutdown()
        // Printed while the sink keeps running, not when it exits and flushes.
        #expect(await eventually { sink.printed.contains(#"{"id":7}"#) })
        let printed = sink.printed
        #expect(printed.contains("POST /api/orders?x=1 -> 200\n"), "\(printed)")
        #expect(printed.contains("  authorization: [redacted]\n") && printed.contains("  x-api-key: [redacted]\n"))
        #expect(printed.contains("  x-source: webshop\n"))
        #expect(!printed.contains("hunter2") && !printed.contains("k-42-secret"))
        #expect(await sink.terminate() == 0)
    }
}
