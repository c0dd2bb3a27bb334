import Foundation
import SwitchboardEngine
import SwitchboardModel

/// `switchboard token create|list|revoke`.
extension Operations {
    /// Makes a token and returns the text that shows it, the only time it is shown.
    public func createToken(name: String, role: APIToken.Role) async throws -> String {
        let (token, record) = APIToken.generate(name: name, role: role, now: clock.now())
        try await store.insertToken(record)
        return """
            token \(record.id) (\(role.rawValue)) for \(name):
            \(token)
            It is shown only now; the hub keeps only its hash. Revoke it with `switchboard token revoke \(record.id)`.
            """
    }

    public func listTokens(json: Bool) async throws -> String {
        let tokens = try await store.tokens()
        if json {
            return JSONValue.array(
                tokens.map { token in
                    .object([
                        "id": .string(token.id), "name": .string(token.name), "role": .string(token.role.rawValue),
                        "created_at": .string(Self.time(token.createdAt)),
                        "revoked_at": token.revokedAt.map { .string(Self.time($0)) } ?? .null,
                    ])
                }
            ).jsonString
        }
        guard !tokens.isEmpty else { return "no tokens; create one with `switchboard token create --role viewer|operator|admin --name NAME`" }
        return
            ([Self.row("ID", "ROLE", "CREATED", "REVOKED", "NAME", "")]
            + tokens.map { token in
                Self.row(token.id, token.role.rawValue, Self.time(token.createdAt), token.revokedAt.map(Self.time) ?? "-", token.name, "")
            }).joined(separator: "\n")
    }

    public func revokeToken(id: String) async throws -> String {
        guard try await store.revokeToken(id: id, now: clock.now()) else {
            throw OperationError("no token \(id) that is not revoked already; `switchboard token list` shows them")
        }
        return "revoked \(id)"
    }
}
