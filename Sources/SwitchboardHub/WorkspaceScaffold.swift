import Foundation

/// `switchboard init`: writes a workspace that runs as it is.
public enum WorkspaceScaffold {
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes the quickstart workspace into `directory`, creating it; returns the files written.
    /// Refuses, writing nothing, when any of them exists already and `overwrite` is false.
    public static func write(to directory: URL, overwrite: Bool = false) throws -> [String] {
        let manager = FileManager.default
        if !overwrite {
            for file in QuickstartTemplate.files where manager.fileExists(atPath: directory.appendingPathComponent(file.path).path) {
                throw Refusal(description: "\(directory.appendingPathComponent(file.path).path) exists already; pass --force to overwrite it")
            }
        }
        for file in QuickstartTemplate.files {
            let url = directory.appendingPathComponent(file.path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url)
        }
        return QuickstartTemplate.files.map(\.path)
    }
}
