import ArgumentParser
import Foundation
import SwitchboardEngine
import SwitchboardHub

extension APIToken.Role: ExpressibleByArgument {}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke management API tokens (viewer reads; operator also replays, discards and pauses; admin does everything).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token and show it once; only its hash is kept.")
        @OptionGroup var workspace: WorkspaceOption
        @Option(help: "viewer, operator or admin.") var role: APIToken.Role
        @Option(help: "Who or what holds it, such as a person or a tool.") var name: String

        func run() async throws {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { fail("--name must say who or what holds the token") }
            let operations: Operations
            do { operations = try Operations(workspace: workspace.url, creating: true) } catch { fail("\(error)") }
            await perform { try await operations.createToken(name: name, role: role) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tokens: id, role, name, when created and revoked; never the tokens themselves.")
        @OptionGroup var workspace: WorkspaceOption
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let operations = operations(workspace)
            await perform { try await operations.listTokens(json: json) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id; it is refused from then on.")
        @OptionGroup var workspace: WorkspaceOption
        @Argument(help: "The token's id, such as tk_3f9a1c.") var id: String

        func run() async throws {
            let operations = operations(workspace)
            await perform { try await operations.revokeToken(id: id) }
        }
    }
}
