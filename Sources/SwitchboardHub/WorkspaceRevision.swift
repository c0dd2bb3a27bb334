import Foundation
import SwitchboardEngine
import SwitchboardModel

/// Which workspace a hub runs: a hash of the files it read and, in a git work tree, the commit
/// checked out. Shown on the dashboard and by `/api/v1/workspace`, and kept with each delivery
/// attempt, so `switchboard messages show` says which revision delivered it.
public struct WorkspaceRevision: Sendable, Hashable {
    /// The first 12 hex digits of the SHA-256 over each file's path and SHA-256, in path order:
    /// the same files give the same id, on any machine.
    public var id: String
    /// Each file read (`switchboard.yaml`, `integrations/orders.yaml`) with its SHA-256.
    public var files: [String: String]
    /// HEAD's commit when the workspace is in a git work tree, read from `.git` (git need not be
    /// installed); nil otherwise. The files may differ from it: `id` is what runs.
    public var commit: String?
    /// When it was loaded, epoch ms.
    public var loadedAt: Int64

    /// The revision of the workspace at `root` as its files are now.
    public static func of(_ root: URL, now: Int64) -> WorkspaceRevision {
        let names = [Workspace.landscapeFile] + Workspace.integrationFiles(in: root).map { "integrations/\($0)" }
        var files: [String: String] = [:]
        for name in names {
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(name).path) else { continue }
            files[name] = Digest.sha256Hex(data)
        }
        let listing = files.keys.sorted().map { "\($0) \(files[$0] ?? "")\n" }.joined()
        return WorkspaceRevision(id: String(Digest.sha256Hex(Data(listing.utf8)).prefix(12)), files: files, commit: commit(at: root), loadedAt: now)
    }

    /// HEAD's commit of the git work tree holding `directory`, following a symbolic ref to a
    /// loose or packed ref, and a `.git` file (a worktree) to its directory.
    static func commit(at directory: URL) -> String? {
        var folder = directory.standardizedFileURL
        for _ in 0..<64 {
            let dotGit = folder.appendingPathComponent(".git")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) {
                var gitDirectory = dotGit
                if !isDirectory.boolValue {
                    guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir: ") else { return nil }
                    let path = text.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
                    gitDirectory = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
                }
                return head(of: gitDirectory)
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return nil }
            folder = parent
        }
        return nil
    }

    private static func head(of gitDirectory: URL) -> String? {
        guard
            let head = try? String(contentsOf: gitDirectory.appendingPathComponent("HEAD"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        else { return nil }
        guard head.hasPrefix("ref: ") else { return isCommit(head) ? head : nil }
        let ref = String(head.dropFirst("ref: ".count))
        // A worktree keeps its HEAD apart and shares the refs of the main repository.
        let common =
            (try? String(contentsOf: gitDirectory.appendingPathComponent("commondir"), encoding: .utf8))
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : gitDirectory.appendingPathComponent($0) } ?? gitDirectory
        for base in [gitDirectory, common] {
            if let loose = try? String(contentsOf: base.appendingPathComponent(ref), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                isCommit(loose)
            {
                return loose
            }
            if let packed = try? String(contentsOf: base.appendingPathComponent("packed-refs"), encoding: .utf8) {
                for line in packed.split(separator: "\n") where line.hasSuffix(" \(ref)") {
                    let hash = String(line.prefix { $0 != " " })
                    if isCommit(hash) { return hash }
                }
            }
        }
        return nil
    }

    private static func isCommit(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy { $0.isASCII && $0.isHexDigit }
    }

    public var json: JSONValue {
        .object([
            "revision": .string(id), "commit": commit.map(JSONValue.string) ?? .null,
            "files": .object(files.mapValues(JSONValue.string)), "loaded_at": .int(loadedAt),
        ])
    }

    /// `3f9a1c2b7d4e (commit 1a2b3c4)`, as the dashboard shows it.
    public var spoken: String { id + (commit.map { " (commit \($0.prefix(7)))" } ?? "") }
}
