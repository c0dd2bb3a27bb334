/// A signed-in dashboard session as the store keeps it: found by the hash of its id, so the
/// cookie's value is never stored, for the token that signed in.
public struct DashboardSession: Sendable, Hashable {
    /// SHA-256 of the session id, hex (`APIToken.hash(of:)`).
    public var idHash: String
    /// The hash of the token that signed in. The token is looked up on every request, so
    /// revoking it ends its sessions.
    public var tokenHash: String
    /// The anti-forgery value every form of the session carries.
    public var csrf: String
    /// Epoch ms after which the session is gone.
    public var expiresAt: Int64

    public init(idHash: String, tokenHash: String, csrf: String, expiresAt: Int64) {
        self.idHash = idHash
        self.tokenHash = tokenHash
        self.csrf = csrf
        self.expiresAt = expiresAt
    }
}

/// Dashboard sessions kept in the store, so that a restart, or another node behind the same
/// address, keeps a person signed in.
public protocol SessionStore: Sendable {
    /// Stores `session`, drops the expired ones and, past `keeping` sessions, those that expire first.
    func openSession(_ session: DashboardSession, now: Int64, keeping: Int) async throws
    /// The session with this id hash, unless it has expired at `now`; nil when none.
    func session(idHash: String, now: Int64) async throws -> DashboardSession?
    /// Ends the session with this id hash; nothing when there is none.
    func closeSession(idHash: String) async throws
}
