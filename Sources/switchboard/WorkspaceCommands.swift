import ArgumentParser
import Foundation
import Logging
import SwitchboardHub
import SwitchboardModel

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a workspace with a working example.")
    @OptionGroup var workspace: WorkspaceArgument
    @Flag(help: "Overwrite files that exist.") var force = false

    func run() throws {
        do {
            let files = try WorkspaceScaffold.write(to: workspace.url, overwrite: force)
            print("wrote \(files.joined(separator: ", ")) in \(workspace.url.path)")
            print(
                "next: switchboard validate -w \(workspace.directory) && switchboard test -w \(workspace.directory) && switchboard demo -w \(workspace.directory)"
            )
        } catch {
            fail("\(error)")
        }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Report every problem in a workspace as file:line:column: sentence.")
    @OptionGroup var workspace: WorkspaceArgument
    @Option(help: "Environment whose connections and secrets are checked; default the first declared.") var env: String?

    func run() throws {
        let loaded = loadWorkspace(workspace.url, environment: env)
        print(
            "\(workspace.directory): \(loaded.integrations.count) integration\(loaded.integrations.count == 1 ? "" : "s"), \(loaded.landscape.systems.count) systems, environment \(loaded.environment): no problems"
        )
    }
}

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the tests written inside integration files, with no network.")
    @OptionGroup var workspace: WorkspaceArgument
    @Option(help: "Environment to render targets for; default the first declared.") var env: String?

    func run() throws {
        // Secrets are not resolved: the tests need none, so none can be printed (a header that
        // holds a reference shows the reference), and none need be set where the tests run (CI).
        let loaded = loadWorkspace(workspace.url, environment: env, resolvingSecrets: false)
        let results = IntegrationTestRunner.run(loaded)
        print(IntegrationTestRunner.report(results))
        if results.contains(where: { $0.failure != nil }) { throw ExitCode(1) }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the hub: webhooks, delivery, /healthz and /metrics, until SIGTERM or SIGINT.")
    @OptionGroup var workspace: WorkspaceArgument
    @Option(help: "Environment to run; default the first declared.") var env: String?
    @Option(help: "Port to listen on, overriding server.port; 0 picks a free one.") var port: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String = "info"
    @Flag(help: "Accept and store messages but deliver none, for example while a target is down for maintenance.") var hold = false
    @Option(
        help:
            "This node's id among the nodes sharing a PostgreSQL store; default SWITCHBOARD_NODE, else the host name (with SQLite: local).")
    var node: String?

    func run() async throws {
        let logger = makeLogger(level: Logger.Level(rawValue: logLevel) ?? .info)
        let loaded = loadWorkspace(workspace.url, environment: env)
        let hub: Hub
        do {
            var options = HubOptions(port: port, deliver: !hold)
            options.nodeID = node
            hub = try Hub(workspace: loaded, options: options, logger: logger)
        } catch let error as HubSetupError {
            fail(error.description)
        } catch {
            fail("cannot open the store: \(error)")
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await hub.run() }
                group.addTask {
                    let bound = try await hub.listeningPort()
                    say(
                        "switchboard listening on \(loaded.landscape.server.tls == nil ? "http" : "https")://\(loaded.landscape.server.host):\(bound) (environment \(loaded.environment), \(loaded.integrations.count) integrations)"
                    )
                }
                try await group.waitForAll()
            }
            if let report = hub.shutdownReport { say("switchboard stopped; \(report)") }
        } catch let error as ListenFailure {
            fail(error.description)
        } catch is HubStoppedError {
            // Stopped by a signal while starting: nothing more to say.
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the quickstart end to end: a sink stands in for the ERP on port 9090, sample orders flow through the hub.")
    @Option(
        name: [.customShort("w"), .customLong("workspace")],
        help: "Workspace folder; written with the quickstart if it has none. Default: a new temporary folder.", completion: .directory)
    var option: String?
    @Argument(help: .hidden, completion: .directory)
    var positional: String?

    func run() async throws {
        let logger = makeLogger(level: .notice)
        let url =
            (option ?? positional).map { URL(fileURLWithPath: $0).standardizedFileURL }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-demo-\(UUID().uuidString.prefix(8))")
        do {
            try await SwitchboardHub.Demo.run(directory: url, logger: logger, print: say)
        } catch let error as WorkspaceError {
            fail(error.description)
        } catch let error as ListenFailure {
            fail(error.description)
        }
    }
}

struct Sink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a loopback HTTP receiver that prints every request, for trying integrations out.")
    @Option(help: "Port to listen on.") var port: Int = 9090
    @Option(help: "Answer with this status.") var status: Int = 200
    @Option(help: "Answer the first N requests with 503 before the status.") var failFirst: Int = 0

    func run() async throws {
        let logger = makeLogger(level: .notice)
        do {
            try await SinkRunner.run(port: port, status: status, failFirst: failFirst, logger: logger) { bound in
                say("sink listening on http://127.0.0.1:\(bound)")
            }
        } catch let error as ListenFailure {
            fail(error.description)
        }
    }
}
