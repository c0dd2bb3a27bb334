import AsyncHTTPClient
import Foundation
import NIOCore
import SwitchboardModel
import SwitchboardTesting

/// Posts `{"n": N}` for every N in `range` to `/hooks/orders` with 16 clients until one fails (the
/// hub was killed); returns the numbers acknowledged with 202 and their message ids.
public func postNumbered(_ range: Range<Int>, port: Int, after: @escaping @Sendable (Int) -> Void = { _ in }) async -> [(n: Int, id: String)] {
    let acknowledged = Locked<[(n: Int, id: String)]>([])
    let next = Locked(range.lowerBound)
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<16 {
            group.addTask {
                while true {
                    let n = next.withLock { value -> Int? in
                        guard value < range.upperBound else { return nil }
                        defer { value += 1 }
                        return value
                    }
                    guard let n else { return }
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hooks/orders")
                    request.method = .POST
                    request.body = .bytes(ByteBuffer(string: #"{"n": \#(n)}"#))
                    // A short deadline: after a kill, requests queued for a new connection fail fast.
                    guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)),
                        response.status.code == 202,
                        let body = try? await response.body.collect(upTo: 4096),
                        let id = (try? JSONValue(json: Array(body.readableBytesView)))?["id"]?.text
                    else { return }
                    let count = acknowledged.withLock {
                        $0.append((n, id)); return $0.count
                    }
                    after(count)
                }
            }
        }
    }
    return acknowledged.withLock { $0 }
}
