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
        version: SwitchboardVersion.current,
        subcommands: [
            Init.self, Validate.self, Check.self, ConnectorsCommand.self, Plan.self, Docs.self, ImpactCommand.self, DiffCommand.self, Run.self,
            Test.self, Messages.self, DeadLetters.self, Audit.self, StoreCommand.self, Token.self, Sink.self, Demo.self, Emulate.self,
        ])
}

/// How every command takes its workspace: `-w DIR` (`--workspace DIR`), default the current
/// folder. The commands that took the folder as their only positional argument before still accept
/// it there, unlisted in the help, so scripts written for earlier versions keep working.
struct WorkspaceArgument: ParsableArguments {
    @Option(name: [.customShort("w"), .customLong("workspace")], help: "The workspace folder; default the current one.", completion: .directory)
    var option: String?
    @Argument(help: .hidden, completion: .directory)
    var positional: String?

    var directory: String { option ?? positional ?? "." }
    var url: URL { URL(fileURLWithPath: directory).standardizedFileURL }

    func validate() throws {
        if let option, let positional, option != positional {
            throw ValidationError("the workspace is given twice (-w \(option) and \(positional)): give it once, with -w DIR")
        }
    }
}

/// `-w DIR` for the commands that take other positional arguments.
struct WorkspaceOption: ParsableArguments {
    @Option(name: [.customShort("w"), .customLong("workspace")], help: "The workspace folder; default the current one.", completion: .directory)
    var directory: String = "."

    var url: URL { URL(fileURLWithPath: directory).standardizedFileURL }
}

/// Who runs the command, for the audit log's actor: the account of the process's user id, so
/// that `sudo` or a service manager that leaves `USER` unset still names someone; `USER` when
/// the account has no name; else `uid N`.
func currentUser() -> String {
    if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name, let text = String(validatingCString: name), !text.isEmpty {
        return text
    }
    return ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "uid \(getuid())"
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
func loadWorkspace(_ url: URL, environment: String?, resolvingSecrets: Bool = true) -> Workspace {
    do {
        return try Workspace.load(directory: url, registry: .standard, environment: environment, resolvingSecrets: resolvingSecrets)
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
