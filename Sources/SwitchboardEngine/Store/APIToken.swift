import Crypto
import Foundation

/// A management API token: who may do what. The token itself is shown once when it is created
/// and never stored; the store keeps its SHA-256 hash.
public struct APIToken: Sendable, Hashable {
    /// What a token may do; each role includes the ones before it.
    public enum Role: String, Sendable, CaseIterable, Comparable {
        /// Reads: integrations, messages, dead letters, the audit log.
        case viewer
        /// Also replays and discards dead letters, pauses and resumes integrations.
        case `operator`
        /// Everything, including tokens.
        case admin

        private var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
        /// True when this role may do what `required` may.
        public func allows(_ required: Role) -> Bool { self >= required }
    }

    /// Short public id, for listing and revoking, for example `tk_3f9a1c`.
    public var id: String
    /// Who or what holds it, in words.
    public var name: String
    public var role: Role
    /// Hex SHA-256 of the token.
    public var hash: String
    public var createdAt: Int64
    public var revokedAt: Int64?

    public init(id: String, name: String, role: Role, hash: String, createdAt: Int64, revokedAt: Int64? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.hash = hash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }

    /// A new random token (`sbt_` and 43 base64url characters: 256 bits) and its record.
    public static func generate(name: String, role: Role, now: Int64) -> (token: String, record: APIToken) {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token =
            "sbt_"
            + Data(secret).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let id = "tk_" + (0..<6).map { _ in String("0123456789abcdef".randomElement(using: &generator)!) }.joined()
        return (token, APIToken(id: id, name: name, role: role, hash: hash(of: token), createdAt: now))
    }

    /// Hex SHA-256 of a presented token: a token has 256 random bits, so no salt or slow hash is needed.
    public static func hash(of token: String) -> String {
        Digest.sha256Hex(Data(token.utf8))
    }
}

/// Where tokens are kept: only their hashes.
public protocol TokenStore: Sendable {
    func insertToken(_ token: APIToken) async throws
    func tokens() async throws -> [APIToken]
    /// The token with this hash, revoked or not; nil when none.
    func token(hash: String) async throws -> APIToken?
    /// Marks a token revoked; false when there is no such token or it was revoked already.
    func revokeToken(id: String, now: Int64) async throws -> Bool
}

/// Which integrations are paused: they accept and store messages but do not deliver them.
public protocol PauseStore: Sendable {
    func pausedIntegrations() async throws -> Set<String>
    /// Pauses or resumes, recording who did it in the audit log; false when it already was so.
    func setPaused(_ integration: String, _ paused: Bool, actor: String, now: Int64) async throws -> Bool
}
