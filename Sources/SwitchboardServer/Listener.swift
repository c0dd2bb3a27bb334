import Hummingbird
import NIOCore
import ServiceLifecycle
import SwitchboardEngine
import SwitchboardModel

/// Runs an application as a service and turns a failure to listen (the port taken, no
/// privileges, an address that is not this machine's) into a `ListenFailure` naming the address
/// and the remedy, instead of NIO's `bind(descriptor:ptr:bytes:)` text. Other errors pass through.
/// It handles no signals itself: run it in a service group that does (`runService()` would add a
/// second group answering SIGINT, which stops this listener and leaves the rest running).
public struct Listener<App: ApplicationProtocol>: Service {
    let application: App
    let host: String
    let port: Int
    let remedy: String

    /// - Parameter remedy: What the user can change, such as `set server.port`.
    public init(_ application: App, host: String, port: Int, remedy: String) {
        self.application = application
        self.host = host
        self.port = port
        self.remedy = remedy
    }

    public func run() async throws {
        do {
            try await application.run()
        } catch let error as IOError {
            throw ListenFailure(host: host, port: port, errno: error.errnoCode, remedy: remedy, underlying: "\(error)")
        } catch is SocketAddressError {
            throw ListenFailure(host: host, port: port, errno: nil, remedy: remedy, underlying: "\(host) is not a host name this machine can resolve")
        }
    }
}
