import Foundation
import SwitchboardTestHarness
import Testing

@testable import SwitchboardHub

@Suite("Documentation stays true")
struct DocumentationTests {
    static let root = Repository.root

    @Test("docs/workspace.md shows exactly the workspace that init writes")
    func workspaceExample() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/workspace.md"), encoding: .utf8)
        #expect(doc.contains("```yaml\n" + QuickstartTemplate.landscape + "\n```"))
        #expect(doc.contains("```yaml\n" + QuickstartTemplate.webshopOrders + "\n```"))
    }

    @Test(".ci/run runs the test command README.md names")
    func ciRunsTheReadmeCommand() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let ci = try String(contentsOf: Self.root.appendingPathComponent(".ci/run"), encoding: .utf8)
        let script = try String(contentsOf: Self.root.appendingPathComponent("scripts/test"), encoding: .utf8)
        #expect(readme.contains("scripts/test                   # every test"))
        #expect(ci.split(separator: "\n").last == "exec scripts/test")
        // The suite, then the checks that need the machine to themselves (README.md names them).
        #expect(script.split(separator: "\n").contains("swift test"))
        #expect(script.split(separator: "\n").last?.hasPrefix("scripts/") == true)
        #expect(readme.contains("scripts/api-conformance"))
    }
}
