import Foundation
import SwitchboardTesting
import Synchronization
import Testing

/// The real `switchboard` binary, built next to the test bundle.
public enum Binary {
    public static var url: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("switchboard")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return Bundle.main.bundleURL.appendingPathComponent("switchboard")
    }

    /// Runs the binary to completion; returns its exit code, standard output and standard error.
    /// With a `timeout`, a process still running then is killed (its status is then SIGKILL's 9),
    /// so a command that hangs fails its test instead of holding up the suite. The wait holds a
    /// thread of its own, not one of the concurrency pool's (`blocking`).
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration? = nil
    ) async throws -> (status: Int32, output: String, error: String) {
        try await runTool(url.path, arguments, environment: environment, timeout: timeout)
    }

    /// Runs git in `directory` as a test author, expecting it to succeed.
    public static func git(_ directory: TemporaryDirectory, _ arguments: String...) async throws {
        let result = try await runTool("/usr/bin/git", ["-C", directory.path, "-c", "user.name=Test", "-c", "user.email=test@example.com"] + arguments)
        #expect(result.status == 0, "\(result.error)")
    }

    /// Runs any program to completion (git, for the diff tests), on a thread of its own (`blocking`).
    public static func runTool(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration? = nil
    ) async throws -> (status: Int32, output: String, error: String) {
        try await blocking { try runToolSynchronously(path, arguments, environment: environment, timeout: timeout) }
    }

    /// Runs a program whose standard error is discarded (a browser's helper processes may hold it
    /// open after it exits), reads its standard output until it contains `marker` or ends, then
    /// sends it `signal` when given and waits for it to exit; past `timeout` it is ended, so the
    /// read returns. On a thread of its own (`blocking`). Returns what it printed and its exit status.
    public static func printed(
        _ url: URL, _ arguments: [String], until marker: String? = nil, then signal: Int32? = nil, timeout: Duration = .seconds(60)
    ) async throws -> (output: String, status: Int32) {
        try await blocking {
            let process = Process()
            process.executableURL = url
            process.arguments = arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let watchdog = DispatchWorkItem { process.terminate() }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.milliseconds)), execute: watchdog)
            defer { watchdog.cancel() }
            var text = ""
            while marker.map({ !text.contains($0) }) ?? true {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            if let signal { Foundation.kill(process.processIdentifier, signal) }
            process.waitUntilExit()
            return (text, process.terminationStatus)
        }
    }

    /// `runTool` on the caller's thread, which it blocks until the program ends: only for where
    /// no `await` can be (a static condition of a suite's trait).
    public static func runToolSynchronously(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration? = nil
    ) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let watchdog = DispatchWorkItem { Foundation.kill(process.processIdentifier, SIGKILL) }
        if let timeout { DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.milliseconds)), execute: watchdog) }
        defer { watchdog.cancel() }
        let err = Locked(Data())
        let errorRead = DispatchGroup()
        errorRead.enter()
        DispatchQueue.global().async {
            let data = error.fileHandleForReading.readDataToEndOfFile()
            err.withLock { $0 = data }
            errorRead.leave()
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        errorRead.wait()
        process.waitUntilExit()
        let errorText = err.withLock { $0 }
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: errorText, as: UTF8.self))
    }
}

extension Binary {
    /// Reads a process's output until a whole line containing `marker` and a loopback address has
    /// arrived; returns the address's port (nil when the output ended first) and what was read.
    public static func port(printedBy handle: FileHandle, after marker: String) -> (port: Int?, output: String) {
        var text = ""
        while true {
            if let line = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().first(where: { $0.contains(marker) }),
                let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression)
            {
                return (Int(line[range].split(separator: ":").last ?? ""), text)
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return (nil, text) }
            text += String(decoding: chunk, as: UTF8.self)
        }
    }
}

/// A long-running `switchboard` process (`run`, `emulate dataverse`): started, its port read from
/// the line that says where it listens, then killed or stopped.
public final class RunningBinary: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe()
    private let collected = Locked("")
    private let errors = Pipe()
    private let collectedErrors = Locked("")
    public let port: Int

    /// Starts `switchboard ARGUMENTS` and waits for a line containing `marker` and a loopback
    /// address, reading on a thread of its own (`blocking`).
    public init(_ arguments: [String], listeningLine marker: String) async throws {
        process.executableURL = Binary.url
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = errors
        Self.collect(errors.fileHandleForReading, into: collectedErrors)
        try process.run()
        let printed = output.fileHandleForReading
        let (port, text) = try await blocking { Binary.port(printedBy: printed, after: marker) }
        guard let port else {
            process.terminate()
            process.waitUntilExit()
            throw StartFailure(arguments: arguments, output: text + collectedErrors.withLock { $0 })
        }
        self.port = port
        collected.withLock { $0 = text }
        Self.collect(output.fileHandleForReading, into: collected)
    }

    /// Appends what `handle` delivers to `text` as it arrives, until it ends.
    private static func collect(_ handle: FileHandle, into text: Locked<String>) {
        handle.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
            } else {
                text.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
            }
        }
    }

    /// Everything the process has written to standard output so far, from its start.
    public var printed: String { collected.withLock { $0 } }

    /// Everything the process has written to standard error (its log) so far.
    public var logged: String { collectedErrors.withLock { $0 } }

    /// `switchboard run WORKSPACE` on a free port; it says "switchboard listening on http://127.0.0.1:PORT (...)".
    public convenience init(workspace: URL, extraArguments: [String] = []) async throws {
        try await self.init(["run", workspace.path, "--port", "0", "--log-level", "error"] + extraArguments, listeningLine: "listening on")
    }

    public struct StartFailure: Error, CustomStringConvertible {
        public let arguments: [String]
        public let output: String
        public var description: String { "switchboard \(arguments.joined(separator: " ")) did not report a port; it printed: \(output)" }
    }

    /// A process its test left running (the test failed before stopping it) is killed, so it
    /// holds no port or database for the tests after.
    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// SIGKILL: no chance to clean up. Does not wait (waiting would block a concurrency thread).
    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
    }

    /// SIGHUP: the hub reloads its workspace.
    public func hangUp() {
        Foundation.kill(process.processIdentifier, SIGHUP)
    }

    /// SIGTERM, then wait (polling, without blocking a thread) for the exit status.
    public func terminate() async -> Int32 {
        process.terminate()
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }
}
