import AsyncHTTPClient
import Foundation
import NIOCore
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// A real full disk: a small tmpfs mounted for the test (it needs the privilege to mount, which
/// the test machine's root has; without it the test is skipped and says so).
enum SmallDisk {
    static let canMount: Bool = {
        guard getuid() == 0, let directory = try? TemporaryDirectory() else { return false }
        defer { directory.remove() }
        guard (try? Binary.runToolSynchronously("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", directory.path]))?.status == 0 else { return false }
        _ = try? Binary.runToolSynchronously("/bin/umount", [directory.path])
        return true
    }()
}

@Suite("A full disk, as the person on call sees it", .enabled(if: SmallDisk.canMount, "needs root to mount a small tmpfs"))
struct FullDiskTests {
    @Test("while the disk is full webhooks get 503, /api/v1/ready fails with the reason, the log says so once; both recover when there is room")
    func fullDisk() async throws {
        let directory = try TemporaryDirectory()
        let disk = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try await Binary.runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", disk.path]).status == 0)
        defer {
            _ = try? Binary.runToolSynchronously("/bin/umount", [disk.path])
            disk.remove()
        }
        try DoorWorkspace.write(to: directory, landscape: "store: { path: \(disk.path)/state.sqlite }", delivery: "max_attempts: 1")
        let hub = try await RunningBinary(["run", "-w", directory.path, "--port", "0", "--log-level", "notice"], listeningLine: "listening on")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await exercise(hub: hub, client: client, disk: disk)
        } catch {
            Issue.record("\(error); the hub logged: \(hub.logged.suffix(2_000))")
        }
        try await client.shutdown()
        #expect(await hub.terminate() == 0)
        #expect(hub.logged.contains("the store takes writes again"))
    }

    func exercise(hub: RunningBinary, client: HTTPClient, disk: TemporaryDirectory) async throws {
        @Sendable func post(_ n: Int) async throws -> UInt { try await answer(n).status }
        @Sendable func answer(_ n: Int) async throws -> (status: UInt, body: String) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/hooks/orders")
            request.method = .POST
            // Each body different, padded, so the store cannot absorb them in free pages.
            request.body = .bytes(ByteBuffer(string: #"{"n": \#(n), "pad": "\#(String(repeating: "x", count: 2_000))"}"#))
            let response = try await client.execute(request, timeout: .seconds(30))
            return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 16)))
        }
        @Sendable func ready() async throws -> (status: UInt, body: String) {
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/api/v1/ready"), timeout: .seconds(30))
            return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 16)))
        }
        #expect(try await post(0) == 202)
        #expect(try await ready().status == 200)
        // Fill the disk.
        let filler = disk.url.appendingPathComponent("filler")
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        let chunk = Data(repeating: 0x5A, count: 64 << 10)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.close()

        var statuses: [UInt] = []
        let refusing = ContinuousClock.now
        for n in 1...200 { statuses.append(try await post(n)) }
        #expect(statuses.filter { $0 == 503 }.count >= 190, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        let last = try await answer(999)
        #expect(last.body.contains("the hub's store refuses writes (") && last.body.contains("disk is full"), "\(last.body)")
        let refused = try await ready()
        #expect(refused.status == 503)
        #expect(refused.body.contains(#""reason":"the store refuses writes: "#), "\(refused.body)")
        let lines = hub.logged.split(separator: "\n").filter { $0.contains("the store refuses writes") }
        // Once, and again only after each 30 s (the hub's interval) the disk stayed full.
        let told = 1 + Int((ContinuousClock.now - refusing) / .seconds(30))
        #expect(lines.count >= 1 && lines.count <= told, "\(lines.count) log lines for 200 refused writes in \(ContinuousClock.now - refusing): \(lines)")

        try FileManager.default.removeItem(at: filler)
        // Nothing is sent to it meanwhile: the readiness probe alone finds the room again.
        #expect(await eventually { (try? await ready().status) == 200 })
        #expect(try await post(201) == 202)
    }
}
