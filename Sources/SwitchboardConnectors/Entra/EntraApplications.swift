import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardEngine
import SwitchboardModel
import Synchronization

/// The application registrations a connector signs in as with the OAuth 2.0 client-credentials
/// grant of Microsoft Entra ID (Dataverse application users, Finance & Operations' Microsoft
/// Entra applications), used in turn; an application throttled with `Retry-After` is skipped
/// until its pause ends.
///
/// Guarantees: at most one token request per application is in flight; a token is renewed when
/// less than a tenth of its lifetime (at least 60 s) is left; `invalidate` after a `401` makes
/// the next request sign in again. Pauses live in the system's budget (`SystemBudget.pause(lane:)`),
/// so a budget shared with other nodes carries them there.
/// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
final class EntraApplications: Sendable {
    final class Application: Sendable {
        let clientID: String
        let clientSecret: String
        let tokens = TokenCache()

        init(clientID: String, clientSecret: String) {
            self.clientID = clientID
            self.clientSecret = clientSecret
        }
    }

    let all: [Application]
    /// `https://login.microsoftonline.com`, or the emulator's URL.
    let authority: String
    let tenant: String
    /// What the token is for: `https://contoso.operations.dynamics.com/.default`.
    let scope: String
    /// How the answers name an identity: "application user" (Dataverse), "application".
    let noun: String
    private let client: HTTPClient
    private let budget: SystemBudget
    private let connectTimeout: Duration
    private let next = Mutex(0)

    init(
        _ credentials: [(clientID: String, clientSecret: String)], authority: String, tenant: String, scope: String, noun: String,
        client: HTTPClient, budget: SystemBudget, connectTimeout: Duration
    ) {
        all = credentials.map { Application(clientID: $0.clientID, clientSecret: $0.clientSecret) }
        self.authority = authority
        self.tenant = tenant
        self.scope = scope
        self.noun = noun
        self.client = client
        self.budget = budget
        self.connectTimeout = connectTimeout
    }

    /// The application to send as and its bearer token, or what the request answers instead:
    /// a `429` when every application (or the one named) is paused, the sign-in's refusal, or
    /// the failure to reach the authority.
    /// - Parameter clientID: The one application to send as; nil: the next one not paused.
    func signIn(as clientID: String?, timeout: Duration) async -> Result<(Application, String), SignInRefusal> {
        let application: Application
        switch choose(clientID) {
        case .application(let free): application = free
        case .allPaused(let wait):
            // Every application is throttled: the system waits as long as the first pause has left.
            let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
            // One declared application paused delays its own writes only; all of them paused, the system.
            if let clientID, all.count > 1 {
                return .failure(
                    SignInRefusal(
                        .transient(status: 429, retryAfter: String(seconds), body: "\(noun) \(clientID) is throttled; it may send again in \(seconds) s")))
            }
            return .failure(
                SignInRefusal(
                    .response(
                        status: 429, retryAfter: String(seconds),
                        body: clientID.map { "\(noun) \($0) is throttled; it may send again in \(seconds) s" }
                            ?? "every \(noun) of this environment is throttled; the first may send again in \(seconds) s")))
        }
        do {
            let token = try await application.tokens.token { try await self.requestToken(for: application, timeout: timeout) }
            return .success((application, token))
        } catch let failure as SignInRefusal {
            return .failure(failure)
        } catch {
            // As for any request: no answer in time is a timeout, no connection a connection failure.
            let outcome = OutboundClient.outcome(of: error, url: authority, connectTimeout: connectTimeout)
            if case .connectionFailed(let reason) = outcome { return .failure(SignInRefusal(.connectionFailed("signing in to \(authority) failed: \(reason)"))) }
            return .failure(SignInRefusal(outcome))
        }
    }

    /// Pauses `application` for the `Retry-After` it was given (1 s when none can be read), so
    /// the others carry the traffic meanwhile.
    func pause(_ application: Application, retryAfter: String?) {
        let seconds = retryAfter.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0.isFinite && $0 >= 0 && $0 < 86_400 ? $0 : nil } ?? 1
        budget.pause(lane: application.clientID, for: .milliseconds(Int64(seconds * 1000)))
    }

    private enum Choice {
        case application(Application)
        case allPaused(Duration)
    }

    private func choose(_ clientID: String?) -> Choice {
        if let clientID, let application = all.first(where: { $0.clientID == clientID }) {
            if let remaining = budget.remainingPause(lane: application.clientID) { return .allPaused(remaining) }
            return .application(application)
        }
        return next.withLock { next -> Choice in
            var soonest: Duration?
            for offset in 0..<all.count {
                let application = all[(next + offset) % all.count]
                if let remaining = budget.remainingPause(lane: application.clientID) {
                    soonest = min(soonest ?? remaining, remaining)
                    continue
                }
                next = (next + offset + 1) % all.count
                return .application(application)
            }
            return .allPaused(soonest ?? .seconds(1))
        }
    }

    private func requestToken(for application: Application, timeout: Duration) async throws -> (token: String, lifetime: Duration) {
        var request = HTTPClientRequest(url: "\(authority)/\(tenant)/oauth2/v2.0/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form = [
            ("grant_type", "client_credentials"), ("client_id", application.clientID), ("client_secret", application.clientSecret), ("scope", scope),
        ]
        request.body = .bytes(ByteBuffer(string: form.map { "\($0.0)=\($0.1.percentEncoded)" }.joined(separator: "&")))
        let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONValue(json: Array(bytes.readableBytesView))) ?? .null
        guard response.status == .ok, case .string(let token)? = json["access_token"] else {
            let description = json["error_description"]?.text ?? json["error"]?.text ?? "status \(response.status.code)"
            // The sign-in's answer goes to the audit log as the attempt's; 401 and 400 dead-letter
            // (a wrong secret does not fix itself), 429 and 5xx retry.
            throw SignInRefusal(
                .response(
                    status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"),
                    body: "signing in failed: \(description)"))
        }
        let seconds: Int64 = if case .int(let value)? = json["expires_in"] { value } else { 3_599 }
        return (token, .seconds(seconds))
    }
}

/// What a request answers when it could not be signed in: the token endpoint's refusal (a wrong
/// secret: permanent; throttled or 5xx: retried), or every application paused.
struct SignInRefusal: Error {
    var outcome: TransportOutcome
    init(_ outcome: TransportOutcome) { self.outcome = outcome }
}

/// The current token and its renewal, one request at a time.
actor TokenCache {
    private var current: (token: String, renewAt: ContinuousClock.Instant)?
    private var pending: Task<(token: String, lifetime: Duration), any Error>?

    func token(fetch: @escaping @Sendable () async throws -> (token: String, lifetime: Duration)) async throws -> String {
        if let current, ContinuousClock.now < current.renewAt { return current.token }
        let task = pending ?? Task { try await fetch() }
        pending = task
        defer { pending = nil }
        let fetched = try await task.value
        // Renew when a tenth of the lifetime is left, and at least a minute before it ends.
        let margin = max(fetched.lifetime / 10, .seconds(60))
        current = (fetched.token, ContinuousClock.now + max(fetched.lifetime - margin, .zero))
        return fetched.token
    }

    func invalidate() {
        current = nil
    }
}
