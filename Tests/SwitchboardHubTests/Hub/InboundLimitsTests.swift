import AsyncHTTPClient
import Foundation
import NIOCore
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP connection to the hub on loopback, for senders that misbehave.
final class RawConnection {
    let descriptor: Int32

    init?(port: Int) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) { _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }

    /// What the hub sends until it closes the connection (or 10 s pass).
    func readAll() -> String {
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count <= 0 { break }
            data += chunk[0..<count]
        }
        return String(decoding: data, as: UTF8.self)
    }

    deinit { close(descriptor) }
}

@Suite("Inbound limits: idle connections, slow senders and a cap on connections", .serialized)
struct InboundLimitsTests {
    func workspace(_ directory: TemporaryDirectory, server: String) throws {
        try DoorWorkspace.write(to: directory, landscape: "server: \(server)")
    }

    func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    @Test("300 idle connections hold at most max_connections descriptors, are closed after idle_timeout, and a normal sender still gets through")
    func idleConnections() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try workspace(directory, server: "{ max_connections: 40, idle_timeout: 1s }")
        let hub = try await RunningBinary(workspace: directory.url)
        let baseline = openDescriptors(hub.process.processIdentifier)
        let idle = (0..<300).compactMap { _ in RawConnection(port: hub.port) }
        #expect(idle.count == 300)
        // Accepted ones are capped; the rest wait in the kernel's backlog, holding no descriptor of the hub's.
        try await Task.sleep(for: .milliseconds(300))
        let held = openDescriptors(hub.process.processIdentifier) - baseline
        #expect(held <= 40 + 5, "\(held) descriptors for 300 idle connections")
        // A sender behind them all is answered once the idle ones are closed, wave by wave.
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(hub.port)/hooks/orders")
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: #"{"id": 1}"#))
        let response = try await client.execute(request, timeout: .seconds(30))
        #expect(response.status.code == 202)
        try await client.shutdown()
        // The first idle connection was closed by the hub without an answer.
        #expect(idle[0].readAll() == "")
        #expect(await hub.terminate() == 0)
    }

    @Test("a header sent slowly is cut off by idle_timeout, and a body that takes longer than read_timeout gets 408")
    func slowSenders() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try workspace(directory, server: "{ idle_timeout: 2s, read_timeout: 1s }")
        let hub = try await RunningBinary(workspace: directory.url)
        let slowHead = try #require(RawConnection(port: hub.port))
        slowHead.send("POST /hooks/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let slowBody = try #require(RawConnection(port: hub.port))
        slowBody.send("POST /hooks/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":")
        #expect(slowHead.readAll() == "", "a half-sent head gets no answer: the connection is closed")
        let answer = slowBody.readAll()
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
        #expect(answer.contains(#""message":"the body did not arrive within 1 s""#), "\(answer)")
        #expect(await hub.terminate() == 0)
    }

    @Test("a body sent with neither Content-Length nor Transfer-Encoding is refused with 411, not read as empty; chunked is read")
    func lengthRequired() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try workspace(directory, server: "{ idle_timeout: 5s }")
        let hub = try await RunningBinary(workspace: directory.url)
        let unlengthed = try #require(RawConnection(port: hub.port))
        unlengthed.send("POST /hooks/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n{\"id\": 1}")
        let answer = unlengthed.readAll()
        #expect(answer.hasPrefix("HTTP/1.1 411"), "\(answer)")
        #expect(answer.contains(#""code":"length_required""#))
        let chunked = try #require(RawConnection(port: hub.port))
        chunked.send(
            "POST /hooks/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"id\": 1}\r\n0\r\n\r\n")
        #expect(chunked.readAll().hasPrefix("HTTP/1.1 202"))
        #expect(await hub.terminate() == 0)
    }
}
