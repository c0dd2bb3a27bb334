import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SwitchboardEngine
import SwitchboardModel

/// The HTTP client every HTTP-based connector sends through, made and read the same way.
///
/// Guarantees: a connection that cannot be made fails its attempt at once (refused, no route) or
/// after the connect timeout, instead of the client retrying connection establishment until the
/// delivery timeout runs out: when to try again is the engine's retry policy, which the user
/// configured. Every error is described in words, with the address, without NIO's type names.
public enum OutboundClient {
    /// How long a new connection may take when the connection does not say. Default 3 s,
    /// separate from the delivery's timeout.
    public static let defaultConnectTimeout: Duration = .seconds(3)

    /// `connect_timeout`, as every HTTP-based kind declares it.
    static let connectTimeoutField = FieldSpec(
        "connect_timeout", .duration, default: "3s",
        doc: "How long a new connection may take before the attempt fails and is retried; separate from `delivery.timeout`.")

    /// Reads `connect_timeout`: more than zero and at most a minute.
    static func readConnectTimeout(_ fields: ConfigFields) -> Duration {
        guard let value = fields.duration("connect_timeout") else { return defaultConnectTimeout }
        guard value > .zero, value <= .seconds(60) else {
            fields["connect_timeout"]?.report("\(fields.path).connect_timeout must be more than 0 and at most 1m")
            return defaultConnectTimeout
        }
        return value
    }

    /// - Parameters:
    ///   - maxConnectionsPerHost: Connections kept open to one host.
    ///   - connectTimeout: How long establishing one connection may take.
    ///   - caFile: A PEM file of authorities to trust besides the system's; nil: the system's only.
    static func make(maxConnectionsPerHost: Int, connectTimeout: Duration, caFile: String? = nil) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConnectionsPerHost
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .milliseconds(connectTimeout.milliseconds)
        // The hub does not trace yet; a span per delivery was measurable overhead for nothing.
        configuration.tracing.tracer = nil
        if let caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            configuration.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// What a request that threw `error` amounts to: `.timeout` when it was sent and no answer
    /// came in time; `.unsendable` when the client refused to send it (a header value with CR,
    /// LF or NUL from a message: retrying cannot help); else `.connectionFailed`, the request
    /// never reached the target or the connection broke.
    static func outcome(of error: any Error, url: String, connectTimeout: Duration) -> TransportOutcome {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout { return .timeout }
            if error == .connectTimeout { return .connectionFailed("no connection to \(address(url)) within \(connectTimeout.spoken)") }
            // The client's codes with values cannot be matched from outside; their short
            // descriptions are fixed texts without the values.
            switch error.shortDescription {
            case HTTPClientError.invalidHeaderFieldValues([]).shortDescription:
                return .unsendable("a header value holds a character HTTP forbids (CR, LF or NUL), so the request cannot be sent")
            case HTTPClientError.invalidHeaderFieldNames([]).shortDescription:
                return .unsendable("a header name holds a character HTTP forbids, so the request cannot be sent")
            default: break
            }
        }
        return .connectionFailed(describe(error, url: url))
    }

    /// The error in words, naming the address it happened with.
    static func describe(_ error: any Error, url: String) -> String {
        let target = address(url)
        if error is CancellationError { return "cancelled" }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty { return "\(error.host) could not be resolved to an address" }
            return error.connectionErrors.map { failure in
                sentence(for: failure.error, address: "\(error.host):\(error.port)")
            }.first ?? "no connection to \(target)"
        }
        if let error = error as? HTTPClientError {
            if error == .remoteConnectionClosed { return "\(target) closed the connection before answering" }
            return "\(target): \(error.shortDescription)"
        }
        return sentence(for: error, address: target)
    }

    private static func sentence(for error: any Error, address: String) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused by \(address)"
            case ECONNRESET: return "\(address) reset the connection"
            case EHOSTUNREACH, ENETUNREACH: return "no route to \(address)"
            case ETIMEDOUT: return "no answer from \(address) while connecting"
            default: return "\(address): \(String(cString: strerror(io.errnoCode)).lowercased())"
            }
        }
        if let tls = error as? NIOSSLError { return "\(address): TLS failed (\(tls))" }
        if case ChannelError.connectTimeout = error { return "no connection to \(address) in time" }
        let text = String(describing: error)
        return "\(address): " + (text.count > 300 ? String(text.prefix(300)) : text)
    }

    /// `host:port` of a URL, the port its scheme's default when it has none.
    static func address(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return url }
        let port = components.port ?? (components.scheme == "https" ? 443 : 80)
        return "\(host):\(port)"
    }
}
