import Foundation
import SwitchboardEngine
import SwitchboardSQLite
import SwitchboardTesting
import Testing

/// The SQLite store against every guarantee written on `MessageStore`.
@Suite("SQLite store: MessageStoreConformance")
struct SQLiteConformanceTests {
    struct Fixture: MessageStoreFixture {
        let directory: TemporaryDirectory
        let path: String
        let store: any MessageStore

        init() throws {
            directory = try TemporaryDirectory()
            path = directory.url.appendingPathComponent("state.sqlite").path
            store = try SQLiteMessageStore(path: path)
        }

        func reopen() async throws -> any MessageStore { try SQLiteMessageStore(path: path) }
        func tearDown() async { directory.remove() }
    }

    @Test(arguments: MessageStoreConformance.Check.allCases)
    func conformance(_ check: MessageStoreConformance.Check) async throws {
        let fixture = try Fixture()
        try await MessageStoreConformance.run(check, on: fixture)
        await fixture.tearDown()
    }
}
