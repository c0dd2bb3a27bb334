import Foundation
import SwitchboardValues

/// An application user: the identity a client-credentials token stands for, with its own service
/// protection limits and entitlement count.
public struct ApplicationUser: Sendable, Hashable {
    /// The application (client) id.
    public var clientID: String
    public var clientSecret: String
    /// The Dataverse user id `WhoAmI` returns; derived from the client id when not given.
    public var userID: String

    public init(clientID: String, clientSecret: String, userID: String? = nil) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.userID = userID ?? ApplicationUser.derivedID(clientID)
    }

    /// `CLIENT_ID:SECRET`, as the command line takes it.
    public init?(credentials: String) {
        guard let colon = credentials.firstIndex(of: ":"), colon != credentials.startIndex else { return nil }
        self.init(clientID: String(credentials[..<colon]), clientSecret: String(credentials[credentials.index(after: colon)...]))
    }

    /// A stable GUID-shaped id from the client id, so a user keeps its id across restarts.
    package static func derivedID(_ clientID: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var bytes: [UInt8] = []
        for round in 0..<2 {
            for byte in Array("\(round):\(clientID)".utf8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            withUnsafeBytes(of: hash.bigEndian) { bytes.append(contentsOf: $0) }
        }
        let characters = Array(bytes.hexDigits)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}
