import ArgumentParser
import Foundation
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel

/// Filters shared by `messages list`, `dlq` and `audit`.
struct FilterOptions: ParsableArguments {
    @Option(help: "Only this integration.") var integration: String?
    @Option(help: "Received at or after: an ISO 8601 time, or a duration back from now such as 1h.") var since: String?
    @Option(help: "Received before: an ISO 8601 time, or a duration back from now such as 10m.") var until: String?
    @Option(help: "At most this many, newest first.") var limit: Int = 100

    func messageFilter(states: [MessageState]?) -> MessageFilter {
        MessageFilter(
            integration: integration, states: states, since: since.map { Self.time($0, "--since") }, until: until.map { Self.time($0, "--until") }, limit: limit
        )
    }

    static func time(_ text: String, _ option: String) -> Int64 {
        if let duration = Duration.parse(text) { return SystemClock().now() - duration.milliseconds }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return Int64(date.timeIntervalSince1970 * 1000) }
        fail("\(option) '\(text)' is neither an ISO 8601 time such as 2026-11-26T10:00:00Z nor a duration such as 1h")
    }
}

func operations(_ workspace: WorkspaceOption) -> Operations {
    do { return try Operations(workspace: workspace.url) } catch { fail("\(error)") }
}

func perform(_ work: () async throws -> String) async {
    do { print(try await work()) } catch { fail("\(error)") }
}

struct Messages: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List and inspect messages.", subcommands: [List.self, Show.self, Redeliver.self])

    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send again what was delivered to a system since a time, when it restored a backup that lost it.")
        @OptionGroup var workspace: WorkspaceOption
        @Option(help: "The system whose deliveries go out again.") var system: String
        @Option(help: "Delivered at or after: an ISO 8601 time, or a duration back from now such as 2h.") var since: String
        @Option(help: "Only this integration.") var integration: String?
        @Flag(help: "Say how many would go out again; change nothing.") var dryRun = false
        @Option(help: "Who is redelivering, for the audit log; default the user running the command.") var actor: String = currentUser()

        func run() async throws {
            let from = FilterOptions.time(since, "--since")
            let (loaded, problems) = Workspace.loadForReview(directory: workspace.url, registry: .standard)
            guard let loaded else { fail(problems.map(\.description).joined(separator: "\n")) }
            let operations = operations(workspace)
            await perform {
                try await operations.redeliver(to: system, in: loaded, integration: integration, since: from, actor: actor, dryRun: dryRun)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List messages, newest first.")
        @OptionGroup var workspace: WorkspaceOption
        @OptionGroup var filter: FilterOptions
        @Option(help: "Only these states (ready, leased, delivered, retry-wait, dead, filtered), comma separated.") var state: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let states = state.map { text in
                text.split(separator: ",").map { name in
                    guard let state = MessageState(name: String(name)) else {
                        fail("--state '\(name)' is not one of ready, leased, delivered, retry-wait, dead, filtered")
                    }
                    return state
                }
            }
            // Options are read before the store is opened, so a bad one is named whatever the store's state.
            let messageFilter = filter.messageFilter(states: states)
            let operations = operations(workspace)
            await perform { try await operations.listMessages(messageFilter, json: json) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one message with its payload and every attempt.")
        @OptionGroup var workspace: WorkspaceOption
        @Argument(help: "The message id.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let operations = operations(workspace)
            await perform { try await operations.showMessage(id: id, json: json) }
        }
    }
}

struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "List, replay or discard dead messages.",
        subcommands: [List.self, Replay.self, Discard.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead messages, newest first.")
        @OptionGroup var workspace: WorkspaceOption
        @OptionGroup var filter: FilterOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let operations = operations(workspace)
            await perform { try await operations.listMessages(filter.messageFilter(states: [.dead]), json: json) }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put dead messages back to ready: the ids given, or with --all every one matching the filters.")
        @OptionGroup var workspace: WorkspaceOption
        @OptionGroup var filter: FilterOptions
        @Argument(help: "Message ids.") var ids: [String] = []
        @Flag(help: "Replay every dead message matching the filters.") var all = false
        @Option(help: "Who is replaying, for the audit log; default the user running the command.") var actor: String = currentUser()

        func run() async throws {
            guard all || !ids.isEmpty else { fail("name message ids, or pass --all to replay every dead message matching the filters") }
            let operations = operations(workspace)
            var selection = filter.messageFilter(states: [.dead])
            selection.limit = Int.max
            await perform { try await operations.replay(selection, ids: all ? nil : ids, actor: actor) }
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete dead messages, leaving an audit record: the ids given, or with --all every one matching the filters.")
        @OptionGroup var workspace: WorkspaceOption
        @OptionGroup var filter: FilterOptions
        @Argument(help: "Message ids.") var ids: [String] = []
        @Flag(help: "Discard every dead message matching the filters.") var all = false
        @Option(help: "Why, for the audit log.") var reason: String?
        @Option(help: "Who is discarding, for the audit log; default the user running the command.") var actor: String = currentUser()

        func run() async throws {
            guard all || !ids.isEmpty else { fail("name message ids, or pass --all to discard every dead message matching the filters") }
            let operations = operations(workspace)
            var selection = filter.messageFilter(states: [.dead])
            selection.limit = Int.max
            await perform { try await operations.discard(selection, ids: all ? nil : ids, actor: actor, reason: reason) }
        }
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the audit log, newest first.")
    @OptionGroup var workspace: WorkspaceOption
    @OptionGroup var filter: FilterOptions
    @Option(help: "Only this message.") var message: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let operations = operations(workspace)
        let selection = AuditFilter(
            messageID: message, integration: filter.integration, since: filter.since.map { FilterOptions.time($0, "--since") },
            until: filter.until.map { FilterOptions.time($0, "--until") }, limit: filter.limit)
        await perform { try await operations.audit(selection, json: json) }
    }
}
