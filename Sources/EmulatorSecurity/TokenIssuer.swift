import Crypto
import Foundation
import SwitchboardValues
import Synchronization
import _CryptoExtras

/// The emulator's stand-in for Microsoft Entra ID: issues RS256-signed JWT access tokens for the
/// client-credentials grant and checks them on every Web API request.
///
/// Token request and answer follow the client-credentials flow:
/// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
/// (`POST /{tenant}/oauth2/v2.0/token`, form fields `client_id`, `client_secret`, `scope`,
/// `grant_type=client_credentials`; answer `{"token_type":"Bearer","expires_in":3599,"access_token":...}`).
public final class TokenIssuer: Sendable {
    public let tenant: String
    private let users: [String: ApplicationUser]
    private let key: _RSA.Signing.PrivateKey
    private let publicKey: _RSA.Signing.PublicKey
    private let keyID: String
    /// Raised by `revokeAll()`; a token carries the epoch it was issued in.
    private let epoch = Mutex<Int64>(0)
    /// Tokens already verified, with their user and expiry: a signature is checked once per token.
    private let verified = Mutex<[String: (user: ApplicationUser, expiry: Int64, audienceHost: String)]>([:])
    private let clock: @Sendable () -> Date
    /// Lifetime of a token: 3,599 s, as Entra ID answers.
    public let lifetime: Int

    public init(tenant: String, users: [ApplicationUser], lifetime: Int = 3_599, clock: @escaping @Sendable () -> Date = Date.init) throws {
        self.tenant = tenant
        self.users = Dictionary(users.map { ($0.clientID, $0) }, uniquingKeysWith: { first, _ in first })
        self.key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        self.publicKey = key.publicKey
        self.keyID = String(UUID().uuidString.prefix(8)).lowercased()
        self.lifetime = lifetime
        self.clock = clock
    }

    /// The answer to a token request as it arrived: its URL-encoded form body and its
    /// `Authorization` header (HTTP Basic carries `client_id` and `client_secret`, which Entra
    /// also accepts).
    public func token(body: String, authorization: String?, resourceHost: String) -> (status: Int, body: JSONValue) {
        let form = Dictionary(QueryString.parse(body), uniquingKeysWith: { first, _ in first })
        var basic: (String, String)?
        if let authorization, authorization.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        {
            basic = (
                String(decoded[..<colon]).removingPercentEncoding ?? "", String(decoded[decoded.index(after: colon)...]).removingPercentEncoding ?? ""
            )
        }
        return token(form: form, basic: basic, resourceHost: resourceHost)
    }

    /// The answer to a token request: status and JSON body, in Entra ID's shapes.
    ///
    /// - Parameters:
    ///   - form: The URL-encoded form fields.
    ///   - basic: `client_id` and `client_secret` from an HTTP Basic header, which Entra also accepts.
    ///   - resourceHost: The host (and port) of the emulator's Web API, which the scope must name.
    public func token(form: [String: String], basic: (String, String)?, resourceHost: String) -> (status: Int, body: JSONValue) {
        guard form["grant_type"] == "client_credentials" else {
            return failure(
                "unsupported_grant_type", 70003,
                "AADSTS70003: The app requested an unsupported grant type '\(form["grant_type"] ?? "")'; this service issues tokens for client_credentials only."
            )
        }
        guard let clientID = form["client_id"] ?? basic?.0, let secret = form["client_secret"] ?? basic?.1 else {
            return failure(
                "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'client_id' and 'client_secret'.")
        }
        guard let user = users[clientID] else {
            return failure(
                "unauthorized_client", 700016, "AADSTS700016: Application with identifier '\(clientID)' was not found in the directory '\(tenant)'.",
                status: 400)
        }
        guard Self.constantTimeEqual(Array(secret.utf8), Array(user.clientSecret.utf8)) else {
            return failure(
                "invalid_client", 7000215,
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.", status: 401)
        }
        guard let scope = form["scope"], scope.hasSuffix("/.default"), let resource = URL(string: String(scope.dropLast("/.default".count))),
            Self.sameHost(resource, resourceHost)
        else {
            return failure(
                "invalid_scope", 70011,
                "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope \(form["scope"] ?? "") is not valid; use https://\(resourceHost)/.default."
            )
        }
        let now = Int(clock().timeIntervalSince1970)
        let claims: JSONValue = .object([
            "aud": .string("\(resource.scheme ?? "https")://\(resourceHost)"),
            "iss": .string("https://sts.windows.net/\(tenant)/"),
            "iat": .int(Int64(now)), "nbf": .int(Int64(now)), "exp": .int(Int64(now + lifetime)),
            "appid": .string(clientID), "azp": .string(clientID), "oid": .string(user.userID), "sub": .string(user.userID),
            "tid": .string(tenant), "ver": .string("1.0"), "idtyp": .string("app"),
            "xms_sb_epoch": .int(epoch.withLock { $0 }),
        ])
        guard let token = try? sign(claims) else {
            return (500, .object(["error": .string("server_error"), "error_description": .string("the token could not be signed")]))
        }
        return (
            200,
            .object([
                "token_type": .string("Bearer"), "expires_in": .int(Int64(lifetime)), "ext_expires_in": .int(Int64(lifetime)),
                "access_token": .string(token),
            ])
        )
    }

    /// The application user a bearer token stands for, or why it is not accepted.
    public func verify(authorization: String?, resourceHost: String) -> Result<ApplicationUser, TokenRejection> {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return .failure(.missing) }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        let now = Int64(clock().timeIntervalSince1970)
        if let known = verified.withLock({ $0[token] }) {
            guard known.expiry > now else { return .failure(.expired) }
            guard known.audienceHost == Self.hostName(resourceHost) else { return .failure(.wrongAudience) }
            return .success(known.user)
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Self.base64URLDecode(parts[2]), let payload = Self.base64URLDecode(parts[1]),
            publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: Array("\(parts[0]).\(parts[1])".utf8), padding: .insecurePKCS1v1_5),
            case .object(let claims) = try? JSONValue(json: payload)
        else {
            return .failure(.invalid)
        }
        guard case .int(let expiry) = claims["exp"] ?? .null, expiry > now else { return .failure(.expired) }
        guard case .string(let audience) = claims["aud"] ?? .null, let url = URL(string: audience), Self.sameHost(url, resourceHost) else {
            return .failure(.wrongAudience)
        }
        guard case .string(let clientID) = claims["appid"] ?? .null, let user = users[clientID] else { return .failure(.invalid) }
        guard claims["xms_sb_epoch"] == .int(epoch.withLock({ $0 })) else { return .failure(.expired) }
        verified.withLock { cache in
            if cache.count >= 10_000 { cache = cache.filter { $0.value.expiry > now } }
            if cache.count < 10_000 { cache[token] = (user, expiry, url.host?.lowercased() ?? "") }
        }
        return .success(user)
    }

    /// Makes every token issued so far invalid, as an expiry or a revocation would (fault injection).
    public func revokeAll() {
        epoch.withLock { $0 += 1 }
        verified.withLock { $0.removeAll() }
    }

    /// Why a bearer token was refused, in the words of the 401 answer.
    public enum TokenRejection: Error, Sendable {
        case missing, invalid, expired, wrongAudience

        public var message: String {
            switch self {
            case .missing:
                "The request has no bearer token; request one from the token endpoint with the client credentials grant and send it as 'Authorization: Bearer <token>'."
            case .invalid: "The bearer token is not valid: it was not issued by this service's token endpoint."
            case .expired: "The bearer token has expired; request a new one."
            case .wrongAudience: "The bearer token was issued for another resource; request it with the scope https://<this host>/.default."
            }
        }
    }

    /// The signing key as a JSON Web Key Set, as Entra publishes at `/{tenant}/discovery/v2.0/keys`.
    /// OpenID discovery (`/{tenant}/v2.0/.well-known/openid-configuration`), which MSAL (under
    /// azure-identity) reads to find the token endpoint. `authority` is `https://HOST:PORT/TENANT`.
    public static func openIDConfiguration(authority: String) -> JSONValue {
        .object([
            "issuer": .string("\(authority)/v2.0"), "token_endpoint": .string("\(authority)/oauth2/v2.0/token"),
            "authorization_endpoint": .string("\(authority)/oauth2/v2.0/authorize"),
            "jwks_uri": .string("\(authority)/discovery/v2.0/keys"),
            "token_endpoint_auth_methods_supported": .array([.string("client_secret_post"), .string("client_secret_basic")]),
            "response_types_supported": .array([.string("code"), .string("token")]),
            "subject_types_supported": .array([.string("pairwise")]),
            "id_token_signing_alg_values_supported": .array([.string("RS256")]), "tenant_region_scope": .null,
        ])
    }

    public func jwks() -> JSONValue {
        guard let primitives = try? key.publicKey.getKeyPrimitives() else { return .object(["keys": .array([])]) }
        return .object([
            "keys": .array([
                .object([
                    "kty": .string("RSA"), "use": .string("sig"), "alg": .string("RS256"), "kid": .string(keyID),
                    "n": .string(Self.base64URL(primitives.modulus)), "e": .string(Self.base64URL(primitives.publicExponent)),
                ])
            ])
        ])
    }

    private func sign(_ claims: JSONValue) throws -> String {
        let header: JSONValue = .object(["typ": .string("JWT"), "alg": .string("RS256"), "kid": .string(keyID)])
        let input = "\(Self.base64URL(Data(header.serialized()))).\(Self.base64URL(Data(claims.serialized())))"
        let signature = try key.signature(for: Array(input.utf8), padding: .insecurePKCS1v1_5)
        return "\(input).\(Self.base64URL(signature.rawRepresentation))"
    }

    private func failure(_ error: String, _ code: Int, _ description: String, status: Int = 400) -> (status: Int, body: JSONValue) {
        (
            status,
            .object([
                "error": .string(error), "error_description": .string(description), "error_codes": .array([.int(Int64(code))]),
                "timestamp": .string(clock().formatted(Date.ISO8601FormatStyle())), "trace_id": .string(UUID().uuidString.lowercased()),
                "correlation_id": .string(UUID().uuidString.lowercased()),
            ])
        )
    }

    private static func sameHost(_ url: URL, _ host: String) -> Bool {
        url.host?.lowercased() == hostName(host)
    }

    /// `127.0.0.1:8443` → `127.0.0.1`.
    private static func hostName(_ host: String) -> String {
        (host.split(separator: ":").first.map(String.init) ?? host).lowercased()
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
            of: "=", with: "")
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        return Data(base64Encoded: base64)
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
