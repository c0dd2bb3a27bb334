import ArgumentParser
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardModel

/// `switchboard connectors [KIND]`: the connector kinds this build knows, or one kind's reference.
struct ConnectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connectors", abstract: "List the connector kinds, or print one kind's reference (fields, defaults, examples).")

    @Argument(help: "A kind, such as dataverse.")
    var kind: String?

    @Flag(help: "Print the whole reference as Markdown (docs/connectors.md).")
    var markdown = false

    func run() throws {
        if markdown { return print(ConnectorReference.markdown(.standard), terminator: "") }
        guard let kind else { return print(ConnectorReference.list(.standard), terminator: "") }
        guard let spec = ConnectorRegistry.standard.spec(kind) else {
            fail("there is no connector kind '\(kind)'; the kinds are \(ConnectorRegistry.standard.specs.map(\.kind).joined(separator: ", "))")
        }
        print(ConnectorReference.kind(spec).joined(separator: "\n"))
    }
}
