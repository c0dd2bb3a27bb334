import Foundation
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@testable import SwitchboardModel

/// The specs drive the reader and the reference, and the engine and the model name no kind.
@Suite("Connector specs and the registry")
struct ConnectorSpecTests {
    static let repository = Repository.root

    @Test("docs/connectors.md is what the specs generate (switchboard connectors --markdown)")
    func referenceIsGenerated() async throws {
        let file = try String(contentsOf: Self.repository.appendingPathComponent("docs/connectors.md"), encoding: .utf8)
        #expect(file == ConnectorReference.markdown(.standard), "regenerate with: switchboard connectors --markdown > docs/connectors.md")
    }

    @Test("the binary lists the kinds and prints one kind's fields; an unknown kind is one sentence and exit 1")
    func command() async throws {
        let list = try await Binary.run(["connectors"])
        #expect(list.status == 0)
        for kind in ["http", "dataverse", "finance-operations", "postgres", "sqlite", "files"] {
            #expect(list.output.contains("\n\(kind) ") || list.output.hasPrefix("\(kind) "))
        }
        let dataverse = try await Binary.run(["connectors", "dataverse"])
        #expect(dataverse.output.contains("| `batch_size` | whole number |  | `1` |"))
        #expect(dataverse.output.contains("### Polled source (`source.changes`)"))
        let unknown = try await Binary.run(["connectors", "sftp"])
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("there is no connector kind 'sftp'; the kinds are http, dataverse, finance-operations, postgres, sqlite, files"))
    }

    @Test("a field the spec does not list is refused with the spec's field names; a required one is reported missing")
    func readerFollowsSpec() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            systems:
              - { id: shop, kind: http, location: cloud }
              - id: crm
                kind: dataverse
                location: cloud
                connections:
                  default: { base_url: "https://crm.example.com", tenant: t, client_secret: "${env:S}", colour: blue }
            """)
        try directory.write(
            "integrations/a.yaml",
            """
            id: a
            title: A
            source: { system: shop, webhook: { path: /hooks/a, auth: { kind: none } } }
            target: { system: crm, dataverse: { table: accounts, key: { accountnumber: $.n }, colour: red } }
            """)
        let problems: [String]
        do {
            _ = try Workspace.load(directory: directory.url, registry: .standard, variables: ["S": "x"])
            problems = []
        } catch { problems = error.diagnostics.map(\.description) }
        let connection = try #require(ConnectorRegistry.standard.spec("dataverse")?.connection.map(\.name).sorted().joined(separator: ", "))
        let target = try #require(ConnectorRegistry.standard.spec("dataverse")?.target?.map(\.name).sorted().joined(separator: ", "))
        #expect(
            problems.contains("switchboard.yaml:8:93: systems[1].connections.default.colour is not a known field here (known: \(connection))"),
            "\(problems)")
        #expect(problems.contains { $0.hasPrefix("switchboard.yaml:8:16: systems[1].connections.default.client_id is required") }, "\(problems)")
        #expect(problems.contains { $0.contains("target.dataverse.colour is not a known field here (known: \(target))") }, "\(problems)")
    }

    @Test("the engine and the model name no connector kind")
    func layersNameNoKind() throws {
        for folder in ["Sources/SwitchboardEngine", "Sources/SwitchboardModel"] {
            let root = Self.repository.appendingPathComponent(folder)
            let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
            #expect(!files.isEmpty)
            for file in files {
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    // The store has kinds of its own (`store.kind: sqlite`), not connector kinds.
                    guard !code.hasPrefix("//"), !code.contains("store.kind") else { continue }
                    let names = ConnectorRegistry.standard.specs.flatMap { spec -> [String] in
                        let quoted = "\"" + spec.kind + "\""
                        let types: [String] = ["Write", "Connector", "Renderer", "Credentials"].map { spec.title + $0 }
                        return [quoted, "." + spec.kind + "("] + types
                    }
                    for name in names where code.contains(name) {
                        Issue.record("\(folder)/\(file):\(number + 1) names the connector kind: \(code)")
                    }
                }
            }
        }
    }
}
