import Foundation

/// A workspace's files as they were at a git ref, written to a temporary folder for `diff`.
public struct GitSnapshot {
    /// Why the files at a ref cannot be read, in one sentence.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The folder holding `switchboard.yaml` and `integrations/*.yaml` as they were at the ref.
    public let folder: URL

    /// Reads the workspace files in `workspace` as they were at `ref`.
    /// - Throws: `Failure` when git cannot be run, `ref` is not a ref of the repository, or a file cannot be read.
    public init(ref: String, workspace: URL) throws(Failure) {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-diff-\(UUID().uuidString)")
        // The workspace's place inside its repository (ls-tree may print paths from the top or from
        // the folder), then its files as they were at REF.
        let prefix = try Self.git(["rev-parse", "--show-prefix"], in: workspace).trimmingCharacters(in: .whitespacesAndNewlines)
        let listed = try Self.git(
            ["ls-tree", "-r", "--name-only", ref, "--", "."], in: workspace,
            failure: "'\(ref)' is not a git ref of the repository holding \(workspace.path)")
        for path in listed.split(separator: "\n").map(String.init) {
            let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
            guard
                relative == "switchboard.yaml" || (relative.hasPrefix("integrations/") && (relative.hasSuffix(".yaml") || relative.hasSuffix(".yml")))
            else { continue }
            let target = folder.appendingPathComponent(relative)
            // `REF:./path` is relative to the folder git runs in.
            let text = try Self.git(["show", "\(ref):./\(relative)"], in: workspace)
            do {
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: target, atomically: true, encoding: .utf8)
            } catch {
                throw Failure(description: "cannot write \(target.path): \(error.localizedDescription)")
            }
        }
    }

    /// Deletes the temporary folder.
    public func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Runs git in `folder`; throws `failure` (or git's own message) when it fails.
    static func git(_ arguments: [String], in folder: URL, failure: String? = nil) throws(Failure) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", folder.path] + arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        do { try process.run() } catch { throw Failure(description: "git could not be started: \(error.localizedDescription)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: failure ?? "git \(arguments.joined(separator: " ")) failed: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
