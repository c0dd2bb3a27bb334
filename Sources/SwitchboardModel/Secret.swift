import Foundation

/// A secret value resolved from a reference. Its description never shows the value.
public struct Secret: Sendable, Hashable, CustomStringConvertible {
    public let value: String
    /// The reference it came from, such as `${env:WEBSHOP_KEY}`, safe to show.
    public let reference: String

    public init(value: String, reference: String) {
        self.value = value
        self.reference = reference
    }

    public var description: String { reference }

    /// What stands for a secret written inline once it is reported (SB190): the review goes on
    /// with it, and no output shows the value.
    public static let redacted = "[redacted]"
}

/// Resolves `${env:NAME}` and `${file:PATH}` references inside text.
public struct SecretResolver: Sendable {
    /// The process environment, injected so tests and `check` need not touch the real one.
    public var environment: [String: String]
    /// `${file:PATH}` is read relative to this directory; the file's trailing newline is dropped.
    public var baseDirectory: URL
    /// True: a reference that cannot be resolved stands for an empty value instead of failing
    /// (`check` and `plan` read a workspace without its secrets). Default false.
    public var lenient = false

    public init(environment: [String: String], baseDirectory: URL, lenient: Bool = false) {
        self.environment = environment
        self.baseDirectory = baseDirectory
        self.lenient = lenient
    }

    public enum Failure: Error, Equatable {
        case malformed(String)
        case unresolved(String)
    }

    /// True when the text holds at least one `${env:...}` or `${file:...}` reference.
    public static func containsReference(_ text: String) -> Bool {
        text.contains("${env:") || text.contains("${file:")
    }

    /// Replaces every reference in `text`; throws naming the first reference that cannot be resolved.
    public func resolve(_ text: String) throws(Failure) -> String {
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw .malformed(String(rest[start.lowerBound...])) }
            let reference = String(rest[start.lowerBound...end])
            let body = rest[start.upperBound..<end]
            if body.hasPrefix("env:") {
                let name = String(body.dropFirst(4))
                if let value = environment[name], !name.isEmpty { output += value } else if !lenient { throw .unresolved(reference) }
            } else if body.hasPrefix("file:") {
                let path = String(body.dropFirst(5))
                let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path)
                if !path.isEmpty, let data = FileManager.default.contents(atPath: url.path) {
                    var value = String(decoding: data, as: UTF8.self)
                    while value.hasSuffix("\n") || value.hasSuffix("\r") { value.removeLast() }
                    output += value
                } else if !lenient {
                    throw .unresolved(reference)
                }
            } else {
                throw .malformed(reference)
            }
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }

    /// Header names whose values are credentials and must be written as references.
    public static func isSensitiveHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["authorization", "proxy-authorization", "cookie"].contains(lower)
            || ["key", "token", "secret", "password", "signature"].contains { lower.contains($0) }
    }

    /// `text` (a URL, a path) with the value of every query parameter named as a credential
    /// (`isSensitiveParameter`) replaced by `Secret.redacted`, unless `keeping` the value; and the
    /// names redacted, in order. The one query-string redactor: the workspace reader (SB190), the
    /// audit log's requests and `diff` each say which values they keep.
    public static func redactingQueryCredentials(_ text: String, keeping: (String) -> Bool) -> (text: String, redacted: [String]) {
        guard let question = text.firstIndex(of: "?") else { return (text, []) }
        var redacted: [String] = []
        let pairs = text[text.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = String(pair[..<equals])
            guard isSensitiveParameter(name), !keeping(String(pair[pair.index(after: equals)...])) else { return String(pair) }
            redacted.append(name)
            return "\(name)=\(Secret.redacted)"
        }
        return (String(text[...question]) + pairs.joined(separator: "&"), redacted)
    }

    /// Query parameter names whose values are credentials: those of `isSensitiveHeader`, and
    /// `code` (Azure Functions, Dataverse webhooks), `sig` (shared access signatures),
    /// `access_token`, `apikey`, `auth`.
    public static func isSensitiveParameter(_ name: String) -> Bool {
        let lower = name.lowercased()
        return isSensitiveHeader(lower) || ["code", "sig", "access_token", "apikey", "auth"].contains(lower)
    }
}

extension SecretResolver {
    /// Resolves the references in a YAML value's text; reports an unresolved or malformed one at
    /// the value and returns the text unchanged.
    func resolve(_ text: String, reportingTo value: YAMLValue) -> String {
        do {
            return try resolve(text)
        } catch {
            switch error {
            case .unresolved(let reference): value.report("\(value.path) refers to \(reference), which is not set")
            case .malformed(let reference): value.report("\(value.path) has a malformed reference \(reference); write ${env:NAME} or ${file:PATH}")
            }
        }
        return text
    }
}
