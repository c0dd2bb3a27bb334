import Foundation
import SwitchboardEngine
import SwitchboardModel
import SwitchboardPostgres
import SwitchboardTesting
import Testing

/// The store's calls while the database crashes and starts again under them.
@Suite("PostgreSQL store: a database restart under load")
struct PostgresRestartTests {
    @Test("pg_ctl restart -m immediate under 16 writers: no call waits for the 15 s deadline, and the store serves again once the database is back")
    func restartUnderWriters() async throws {
        let cluster = try await ThrowawayPostgres.dedicated()
        defer { cluster.stop() }
        let url = try await cluster.database()
        let store = try PostgresMessageStore(url: try PostgresURL.parse(url).get(), poolSize: 8)
        try await store.prepare()
        let clock = SystemClock()
        let calls = Locked<[(started: Int64, millis: Int64, failed: String?)]>([])
        let stop = Locked(false)
        let restarted = Locked<(began: Int64, ended: Int64, error: String?)?>(nil)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<16 {
                group.addTask {
                    var n = 0
                    while !stop.withLock({ $0 }) {
                        n += 1
                        let started = clock.now()
                        let message = NewMessage(id: "W\(writer)-\(n)", integration: "orders", payload: Array(#"{"n":1}"#.utf8), receivedAt: started)
                        var failed: String?
                        do { _ = try await store.enqueue([message]) } catch { failed = "\(error)" }
                        let millis = clock.now() - started
                        calls.withLock { $0.append((started, millis, failed)) }
                        if failed != nil { try? await Task.sleep(for: .milliseconds(50)) }
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(1))
                let began = clock.now()
                var failure: String?
                do { try await cluster.restartImmediately() } catch { failure = "\(error)" }
                let ended = clock.now()
                restarted.withLock { $0 = (began, ended, failure) }
                // Until 200 calls in a row succeed after the restart, for at most 30 s.
                while clock.now() < ended + 30_000 {
                    let streak = calls.withLock { calls in calls.reversed().prefix { $0.failed == nil && $0.started >= ended }.count }
                    if streak >= 200 { break }
                    try? await Task.sleep(for: .milliseconds(50))
                }
                stop.withLock { $0 = true }
            }
        }
        let restart = try #require(restarted.withLock { $0 })
        let all = calls.withLock { $0 }
        // The database did restart under the writers (whether a call saw it fail depends on
        // where each writer was when it went down, so that is not asserted).
        #expect(restart.error == nil, "pg_ctl restart failed: \(restart.error ?? "")")
        #expect(all.contains { $0.started < restart.began } && all.contains { $0.started > restart.ended })
        // A call may wait for the restart to be noticed (about 0.5 s here, several seconds on a
        // busy machine); none waits for the 15 s deadline.
        let slowest = all.max { $0.millis < $1.millis }
        #expect((slowest?.millis ?? 0) < 12_000, "slowest call \(slowest.map { "\($0.millis) ms: \($0.failed ?? "ok")" } ?? "")")
        #expect(!all.contains { $0.failed?.contains("did not answer") == true }, "a call waited for the deadline")
        // Once the database is back, the store serves again: the last 200 calls all succeeded.
        let last = all.suffix(200)
        #expect(last.count == 200 && last.allSatisfy { $0.failed == nil && $0.started >= restart.ended }, "\(Array(last.compactMap(\.failed).prefix(3)))")
        await store.close()
    }
}
