import SwitchboardModel

/// An attempt's request as the audit log keeps it: the request line, each header on its own
/// line, a blank line and the body, the way `messages show` prints it.
///
/// Guarantees: credentials never reach the log: a header whose name marks a credential
/// (`SecretResolver.isSensitiveHeader`: `Authorization`, `Cookie`, names holding key, token,
/// secret, password, signature) and a query parameter named so (`?api_key=...`, `code` as
/// Dataverse webhooks use) are written `[redacted]`. The body is cut at
/// `AuditRecord.detailLimit` characters; a body that is not UTF-8 is described by its size.
public enum RecordedRequest {
    public static func text(_ request: OutboundRequest) -> String {
        var text = "\(request.method) \(redactingQuery(request.url))\n"
        for (name, value) in request.headers {
            text += "\(name): \(SecretResolver.isSensitiveHeader(name) ? "[redacted]" : value)\n"
        }
        guard !request.body.isEmpty else { return text }
        guard let body = String(validating: request.body, as: UTF8.self) else { return text + "\n(\(request.body.count) bytes, not text)" }
        return text + "\n" + (body.count <= AuditRecord.detailLimit ? body : String(body.prefix(AuditRecord.detailLimit)) + "…")
    }

    /// The URL with the values of credential-like query parameters replaced.
    static func redactingQuery(_ url: String) -> String {
        guard let question = url.firstIndex(of: "?") else { return url }
        let pairs = url[url.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<equals]
            return SecretResolver.isSensitiveParameter(String(name)) ? "\(name)=[redacted]" : String(pair)
        }
        return String(url[...question]) + pairs.joined(separator: "&")
    }
}
