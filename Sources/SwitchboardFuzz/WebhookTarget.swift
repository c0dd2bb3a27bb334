import SwitchboardEngine
import SwitchboardModel

extension FuzzTarget {
    /// The webhook authenticators (`InboundAuthenticator.check`) with fixed secrets: the input is
    /// a request's headers, an empty line and the body. Each scheme reads its header (`X-Api-Key`,
    /// `X-Signature` hex and base64, `Stripe-Signature`) and the `code` query key (from a
    /// `Query: code=...` line) from the input; the timestamped scheme also at both ends of the
    /// clock. A signature the hub computes itself over the same body must always be accepted:
    /// that is the guarantee checked.
    static let webhook = FuzzTarget(
        name: "webhook", summary: "InboundAuthenticator.check: shared key, query key, HMAC hex/base64, Stripe", maxLength: 2_048
    ) { bytes in
        let (headers, body) = FuzzInput.message(bytes)
        let query = FuzzInput.query(headers["query"] ?? "")
        let secret = Secret(value: "whsec_fuzz", reference: "${env:WEBHOOK_SECRET}")
        let schemes: [WebhookAuthentication] = [
            .none, .sharedKey(header: "X-Api-Key", secret: secret), .queryKey(parameter: "code", secret: secret),
            .hmacSHA256(header: "X-Signature", secret: secret, encoding: .hex), .hmacSHA256(header: "X-Signature", secret: secret, encoding: .base64),
            .timestampedHMAC(header: "Stripe-Signature", secret: secret, tolerance: .seconds(300)),
        ]
        for scheme in schemes {
            _ = InboundAuthenticator.check(scheme, header: { headers[$0.lowercased()] }, query: { query[$0] }, body: body, now: 1_767_225_600_000)
        }
        // The timestamped scheme's tolerance, at the ends of the clock.
        for now in [0, Int64.max] as [Int64] {
            _ = InboundAuthenticator.check(schemes[5], header: { headers[$0.lowercased()] }, query: { query[$0] }, body: body, now: now)
        }
        // What a sender that knows the secret sends is accepted, whatever the body.
        let hex = InboundAuthenticator.signature(of: body, secret: secret.value)
        let base64 = InboundAuthenticator.signature(of: body, secret: secret.value, encoding: .base64)
        let stripe = "t=1767225600,v1=" + InboundAuthenticator.signature(of: Array("1767225600.".utf8) + body, secret: secret.value)
        let signed: [(WebhookAuthentication, String)] = [
            (schemes[3], hex), (schemes[3], "sha256=" + hex), (schemes[4], base64), (schemes[5], stripe),
        ]
        for (scheme, value) in signed {
            let failure = InboundAuthenticator.check(scheme, header: { _ in value }, query: { _ in nil }, body: body, now: 1_767_225_600_000)
            precondition(failure == nil, "a correct signature was refused: \(String(describing: failure))")
        }
    }
}

extension FuzzInput {
    /// `a=1&b=2` as names to values, without decoding (the authenticators compare what was sent).
    static func query(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return values
    }
}
