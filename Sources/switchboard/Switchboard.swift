import ArgumentParser
import Foundation
import Logging
import SwitchboardConnectors
import SwitchboardHub
import SwitchboardModel

@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A durable, throttling-aware integration hub for Dynamics 365 landscapes.",
        subcommands: [
            Init.self, Validate.self, Check.self, ConnectorsCommand.self, Plan.self, Docs.self, ImpactCommand.self, DiffCommand.self, Run.self,
            Test.self, Messages.self, DeadLetters.self, Audit.self, Token.self, Sink.self, Demo.self, Emulate.self,
        ])
}

/// The workspace folder argument shared by the workspace commands.
struct WorkspaceArgument: ParsableArguments {
    @Argument(help: "The workspace folder.", completion: .directory)
    var directory: String = "."

    var url: URL { URL(fileURLWithPath: directory).standardizedFileURL }
}

/// `-w DIR` for the commands that take other positional arguments.
struct WorkspaceOption: ParsableArguments {
    @Option(name: [.customShort("w"), .customLong("workspace")], help: "The workspace folder.", completion: .directory)
    var directory: String = "."

    var url: URL { URL(fileURLWithPath: directory).standardizedFileURL }
}

/// Writes a line to standard output at once (unbuffered), so a reader sees it while the hub runs.
@Sendable func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes to standard error and exits with `code`, for one-sentence user errors.
func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(code)
}

/// Loads a workspace or prints every diagnostic and exits 1.
func loadWorkspace(_ url: URL, environment: String?) -> Workspace {
    do {
        return try Workspace.load(directory: url, registry: .standard, environment: environment)
    } catch {
        fail(error.description)
    }
}

func makeLogger(level: Logger.Level = .info) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "switchboard")
}
