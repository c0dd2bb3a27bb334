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
        // What is sent is resolved: every credential-named value goes, references or not.
        var text = "\(request.method) \(SecretResolver.redactingQueryCredentials(request.url) { _ in false }.text)\n"
        for (name, value) in request.headers {
            text += "\(name): \(SecretResolver.isSensitiveHeader(name) ? Secret.redacted : value)\n"
        }
        guard !request.body.isEmpty else { return text }
        guard let body = String(validating: request.body, as: UTF8.self) else { return text + "\n(\(request.body.count) bytes, not text)" }
        return text + "\n" + (body.count <= AuditRecord.detailLimit ? body : String(body.prefix(AuditRecord.detailLimit)) + "…")
    }
}
