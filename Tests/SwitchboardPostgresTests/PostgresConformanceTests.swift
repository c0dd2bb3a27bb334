import Foundation
import SwitchboardEngine
import SwitchboardModel
import SwitchboardPostgres
import SwitchboardTesting
import Synchronization
import Testing

/// The PostgreSQL store against every guarantee written on `MessageStore`, on a real server.
@Suite("PostgreSQL store: MessageStoreConformance")
struct PostgresConformanceTests {
    final class Fixture: MessageStoreFixture {
        let url: PostgresURL
        let opened: PostgresMessageStore
        private let reopened = Mutex<[PostgresMessageStore]>([])
        var store: any MessageStore { opened }

        init() async throws {
            url = try PostgresURL.parse(try await ThrowawayPostgres.database()).get()
            opened = try PostgresMessageStore(url: url, poolSize: 4)
        }

        func reopen() async throws -> any MessageStore {
            let store = try PostgresMessageStore(url: url, poolSize: 2)
            reopened.withLock { $0.append(store) }
            return store
        }

        func tearDown() async {
            await opened.close()
            for store in reopened.withLock({ $0 }) { await store.close() }
        }
    }

    @Test(arguments: MessageStoreConformance.Check.allCases)
    func conformance(_ check: MessageStoreConformance.Check) async throws {
        let fixture = try await Fixture()
        try await MessageStoreConformance.run(check, on: fixture)
        await fixture.tearDown()
    }
}
