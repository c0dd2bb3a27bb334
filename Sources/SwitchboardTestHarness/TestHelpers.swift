import Foundation
import SwitchboardModel

/// The repository's root folder, for tests that read its files (docs, examples, scripts).
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// Answers' lists, as the tests read them.
extension JSONValue {
    public var arrayItems: [JSONValue] { if case .array(let items) = self { items } else { [] } }
    public var arrayCount: Int { arrayItems.count }
    public var names: [String] { arrayItems.compactMap { $0["name"]?.text } }
}

extension Array {
    public func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
