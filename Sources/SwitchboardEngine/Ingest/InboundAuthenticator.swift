import Crypto
import Foundation
import SwitchboardModel

/// Checks a webhook caller's credentials. Every comparison takes constant time in the secret's content.
public enum InboundAuthenticator {
    public enum Failure: Sendable, Hashable {
        case missing(String)
        case wrong(String)
    }

    /// Nil when the request is authentic.
    public static func check(
        _ authentication: WebhookAuthentication, header: (String) -> String?, query: (String) -> String?, body: [UInt8]
    ) -> Failure? {
        switch authentication {
        case .none:
            return nil
        case .sharedKey(let name, let secret):
            guard let presented = header(name) else { return .missing("header \(name)") }
            return constantTimeEqual(Array(presented.utf8), Array(secret.value.utf8)) ? nil : .wrong("header \(name)")
        case .queryKey(let name, let secret):
            guard let presented = query(name) else { return .missing("query parameter \(name)") }
            return constantTimeEqual(Array(presented.utf8), Array(secret.value.utf8)) ? nil : .wrong("query parameter \(name)")
        case .hmacSHA256(let name, let secret):
            guard var presented = header(name) else { return .missing("header \(name)") }
            if presented.lowercased().hasPrefix("sha256=") { presented.removeFirst(7) }
            let expected = signature(of: body, secret: secret.value)
            return constantTimeEqual(Array(presented.lowercased().utf8), Array(expected.utf8)) ? nil : .wrong("header \(name)")
        }
    }

    /// Hex HMAC-SHA256 of `body`, as a sender computes it.
    public static func signature(of body: some DataProtocol, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Compares without an early exit, so timing reveals at most the length.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
