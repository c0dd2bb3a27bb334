#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A listener that could not start, as the one sentence its user should read: the address, what
/// is wrong with it, and what to do. Shared by the hub, the sink and the emulators, so each says
/// it the same way.
public struct ListenFailure: Error, CustomStringConvertible, Sendable {
    public var host: String
    public var port: Int
    /// The system's error number from `bind`, when there was one.
    public var errno: Int32?
    /// What the user can change, such as `set server.port` or `pass --port`.
    public var remedy: String
    /// The underlying error's text, for the cases without a sentence of their own.
    public var underlying: String

    public init(host: String, port: Int, errno: Int32?, remedy: String, underlying: String) {
        self.host = host
        self.port = port
        self.errno = errno
        self.remedy = remedy
        self.underlying = underlying
    }

    public var description: String {
        switch errno {
        case EADDRINUSE?: "\(host):\(port) is already in use: stop the other process or \(remedy)"
        case EACCES?: "\(host):\(port) needs privileges to listen on (ports below 1024 do): \(remedy)"
        case EADDRNOTAVAIL?: "\(host) is not an address of this machine, so \(host):\(port) cannot be listened on: \(remedy)"
        default: "cannot listen on \(host):\(port): \(underlying)"
        }
    }
}
