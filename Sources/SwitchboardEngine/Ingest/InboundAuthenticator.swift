import Crypto
import Foundation
import SwitchboardModel

/// Checks a webhook caller's credentials. Every comparison takes constant time in the secret's content.
public enum InboundAuthenticator {
    public enum Failure: Sendable, Hashable {
        case missing(String)
        case wrong(String)
        /// A timestamped signature outside the tolerance: the sentence says so.
        case stale(String)
    }

    /// Nil when the request is authentic. `now` (epoch milliseconds) is the hub's clock, for the
    /// timestamped scheme's tolerance.
    public static func check(
        _ authentication: WebhookAuthentication, header: (String) -> String?, query: (String) -> String?, body: [UInt8], now: Int64 = 0
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
        case .hmacSHA256(let name, let secret, let encoding):
            guard var presented = header(name) else { return .missing("header \(name)") }
            switch encoding {
            case .hex:
                if presented.lowercased().hasPrefix("sha256=") { presented.removeFirst(7) }
                let expected = signature(of: body, secret: secret.value)
                return constantTimeEqual(Array(presented.lowercased().utf8), Array(expected.utf8)) ? nil : .wrong("header \(name)")
            case .base64:
                let expected = signature(of: body, secret: secret.value, encoding: .base64)
                return constantTimeEqual(Array(presented.trimmingCharacters(in: .whitespaces).utf8), Array(expected.utf8))
                    ? nil : .wrong("header \(name)")
            }
        case .timestampedHMAC(let name, let secret, let tolerance):
            guard let presented = header(name) else { return .missing("header \(name)") }
            var timestamp: Int64?
            var signatures: [String] = []
            for element in presented.split(separator: ",") {
                let pair = element.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                if pair[0] == "t" { timestamp = Int64(pair[1]) }
                if pair[0] == "v1" { signatures.append(pair[1].lowercased()) }
            }
            guard let timestamp, !signatures.isEmpty else { return .wrong("header \(name)") }
            // Seconds apart, in a range that cannot overflow whatever the sender wrote.
            let apart = abs(Double(timestamp) - Double(now) / 1_000)
            guard apart <= Double(tolerance.milliseconds) / 1_000 else {
                return .stale(
                    "the timestamp in header \(name) is more than \(tolerance.spoken) from the hub's clock, as a replayed request's would be")
            }
            let expected = Array(signature(of: Array("\(timestamp).".utf8) + body, secret: secret.value).utf8)
            // Every v1 is compared, so timing does not tell which matched.
            var matched = false
            for candidate in signatures { matched = constantTimeEqual(Array(candidate.utf8), expected) || matched }
            return matched ? nil : .wrong("header \(name)")
        }
    }

    /// HMAC-SHA256 of `body`, as a sender computes it: hex (default) or base64.
    public static func signature(of body: some DataProtocol, secret: String, encoding: SignatureEncoding = .hex) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        switch encoding {
        case .hex: return mac.hexDigits
        case .base64: return Data(mac).base64EncodedString()
        }
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
