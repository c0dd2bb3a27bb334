import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardEngine

/// The request context of the hub's listener: Hummingbird's core context and who is calling,
/// once `TokenMiddleware` has checked the bearer token.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller as the audit log names it: `token tk_… (name)`; `anonymous` on routes that need no token.
    public var actor = "anonymous"
    /// The caller's IP address, for the sign-in throttle and the log; `unknown` when the channel has none.
    public let clientAddress: String
    /// The connection's event loop, whose timers are far cheaper than a task that sleeps.
    public let eventLoop: any EventLoop

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        eventLoop = source.channel.eventLoop
    }
}

/// Lets a request through only with a bearer token of at least `role`; sets the context's actor.
/// A missing or unknown token is a 401, too low a role a 403, each with a sentence.
struct TokenMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let role: APIToken.Role
    /// `METHOD PATH` of the route, for the 403's sentence.
    let operation: String
    let backend: any ManagementBackend
    let throttle: SignInThrottle

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let client = throttle.client(peer: context.clientAddress, forwardedFor: request.headers[.xForwardedFor])
        if let seconds = throttle.wait(client) {
            throw JSONError(
                status: .tooManyRequests, code: "too_many_attempts",
                message: "too many wrong tokens from \(client); try again in \(seconds) s", retryAfter: seconds)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw JSONError(
                status: .unauthorized, code: "unauthorized",
                message: "a valid token is required: send Authorization: Bearer TOKEN (switchboard token create)")
        }
        guard let token = await backend.authenticate(String(header.dropFirst("Bearer ".count))) else {
            throttle.failed(client, door: "api")
            throw JSONError(
                status: .unauthorized, code: "unauthorized",
                message: "a valid token is required: send Authorization: Bearer TOKEN (switchboard token create)")
        }
        throttle.succeeded(client)
        guard token.role.allows(role) else {
            throw JSONError(
                status: .forbidden, code: "forbidden", message: "token \(token.id) is a \(token.role.rawValue); \(operation) needs \(role.rawValue)")
        }
        var context = context
        context.actor = "token \(token.id) (\(token.name))"
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-For`, as reverse proxies send it.
    static let xForwardedFor = Self("X-Forwarded-For")!
}
