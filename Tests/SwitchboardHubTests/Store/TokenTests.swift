import Foundation
import SwitchboardSQLite
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@testable import SwitchboardEngine

@Suite("Management API tokens")
struct TokenTests {
    @Test("a token is random, stored only as its hash, found by the hash of what is presented, and refused once revoked")
    func storedAsHashes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("state.sqlite").path
        let store = try SQLiteMessageStore(path: path)
        let (token, record) = APIToken.generate(name: "on-call", role: .operator, now: 1_000)
        let (other, _) = APIToken.generate(name: "on-call", role: .operator, now: 1_000)
        #expect(token.hasPrefix("sbt_") && token.count == 47 && token != other)
        #expect(record.hash == APIToken.hash(of: token) && record.hash != token)
        try await store.insertToken(record)
        let found = try await store.token(hash: APIToken.hash(of: token))
        #expect(found?.role == .operator && found?.isRevoked == false)
        #expect(try await store.token(hash: APIToken.hash(of: other)) == nil)
        #expect(try await store.revokeToken(id: record.id, now: 2_000))
        #expect(try await store.revokeToken(id: record.id, now: 3_000) == false)
        #expect(try await store.token(hash: record.hash)?.revokedAt == 2_000)
        // Nothing on disk holds the token itself.
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.url.path) {
            let bytes = try Data(contentsOf: directory.url.appendingPathComponent(file))
            #expect(bytes.range(of: Data(token.utf8)) == nil, "\(file) holds the token")
        }
    }

    @Test("roles include the ones before them")
    func roles() {
        #expect(APIToken.Role.admin.allows(.operator) && APIToken.Role.operator.allows(.viewer))
        #expect(!APIToken.Role.viewer.allows(.operator) && !APIToken.Role.operator.allows(.admin))
    }

    @Test("switchboard token create shows the token once; list never shows it; revoke refuses an unknown id in one sentence")
    func binary() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Binary.run(["init", directory.path])
        let created = try await Binary.run(["token", "create", "--role", "viewer", "--name", "Grafana", "-w", directory.path])
        #expect(created.status == 0)
        let token = try #require(created.output.split(separator: "\n").first { $0.hasPrefix("sbt_") }.map(String.init))
        let id = try #require(created.output.split(separator: " ").dropFirst().first.map(String.init))
        let list = try await Binary.run(["token", "list", "-w", directory.path, "--json"])
        #expect(list.output.contains("\"role\":\"viewer\"") && list.output.contains(id) && !list.output.contains(token))
        #expect(try await Binary.run(["token", "revoke", id, "-w", directory.path]).output == "revoked \(id)\n")
        let again = try await Binary.run(["token", "revoke", id, "-w", directory.path])
        #expect(again.status == 1 && again.error == "no token \(id) that is not revoked already; `switchboard token list` shows them\n")
    }
}
