import Foundation

/// A PostgreSQL connection address in libpq's URL form, as `store.url` and
/// `store migrate --to` take it:
///
/// `postgres://user:password@host:5432/database?sslmode=require`, or, for a server on a Unix
/// socket, `postgres:///database?host=/run/postgresql&port=5432&user=switchboard`.
///
/// Defaults as libpq's: port 5432, user `postgres`, database the user's name, `sslmode=prefer`.
/// The password never appears in `description`.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    /// How the connection uses TLS (libpq's `sslmode`).
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain connection.
        case disable
        /// TLS when the server offers it, without checking its certificate. The default.
        case prefer
        /// TLS, without checking the certificate.
        case require
        /// TLS, with a certificate signed by a trusted CA (`sslrootcert`, else the system's).
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate names the host.
        case verifyFull = "verify-full"
    }

    /// Host name or address; nil with `socketDirectory`.
    public var host: String?
    /// The folder of the server's Unix socket (`host=/path`); nil: TCP.
    public var socketDirectory: String?
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// A PEM file of CA certificates to trust (`sslrootcert`); nil: the system's.
    public var rootCertificate: String?

    /// The socket file of a server on a Unix socket.
    public var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    /// The URL with the password shown as `[redacted]`.
    public var description: String {
        let credentials = password == nil ? user : "\(user):[redacted]"
        if let socketDirectory { return "postgres://\(credentials)@/\(database)?host=\(socketDirectory)&port=\(port)" }
        return "postgres://\(credentials)@\(host ?? "localhost"):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    /// Why `text` is not a PostgreSQL URL, as the rest of a sentence; nil when it is one.
    public static func problem(_ text: String) -> String? {
        switch parse(text) {
        case .success: nil
        case .failure(let failure): failure.description
        }
    }

    /// The URL read from `text`, or why it cannot be read.
    public static func parse(_ text: String) -> Result<PostgresURL, Failure> {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            return .failure(Failure("must start with postgres://, such as postgres://switchboard@db.example:5432/switchboard"))
        }
        guard let components = URLComponents(string: text) else { return .failure(Failure("is not a URL")) }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let known: Set = ["sslmode", "sslrootcert", "host", "port", "user", "password", "dbname", "application_name", "connect_timeout"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            return .failure(Failure("has the parameter '\(unknown)', which the hub does not use (known: \(known.sorted().joined(separator: ", ")))"))
        }
        let user = query["user"] ?? components.user.flatMap { $0.removingPercentEncoding ?? $0 } ?? "postgres"
        let password = query["password"] ?? components.password.flatMap { $0.removingPercentEncoding ?? $0 }
        let portText = query["port"] ?? components.port.map(String.init)
        let port: Int
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { return .failure(Failure("has port \(portText), which is not from 1 to 65535")) }
            port = value
        } else {
            port = 5432
        }
        var host = components.host.flatMap { $0.removingPercentEncoding ?? $0 }.flatMap { $0.isEmpty ? nil : $0 }
        var socket: String?
        if let queryHost = query["host"] {
            if queryHost.hasPrefix("/") { socket = queryHost } else { host = queryHost }
        }
        if host == nil && socket == nil { host = "localhost" }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = query["dbname"] ?? (path.isEmpty ? user : (path.removingPercentEncoding ?? path))
        let mode = query["sslmode"] ?? "prefer"
        guard let tls = TLSMode(rawValue: mode) ?? (mode == "allow" ? .prefer : nil) else {
            return .failure(Failure("has sslmode=\(mode); use one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        return .success(
            PostgresURL(
                host: socket == nil ? host : nil, socketDirectory: socket, port: port, user: user, password: password, database: database,
                tls: socket == nil ? tls : .disable, rootCertificate: query["sslrootcert"]))
    }

    /// Why a URL cannot be read, as the rest of a sentence that starts with what was read.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
