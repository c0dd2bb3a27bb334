// The local certificate authority (`SelfSignedCertificate`), under this module's name as before
// it moved to a target of its own.
@_exported import EmulatorSecurity
import DataverseEmulatorCore
import Foundation

/// How `switchboard emulate dataverse` runs.
public struct EmulatorConfiguration: Sendable {
    /// Default `127.0.0.1`.
    public var host = "127.0.0.1"
    /// Default 8443; 0 picks a free port (reported when listening).
    public var port = 8443
    /// Certificate chain and key (PEM files) to serve HTTPS; nil serves plain HTTP.
    public var tls: TLSFiles?
    /// The tenant in token URLs. Default `switchboard`.
    public var tenant = "switchboard"
    /// Application users that may get tokens. Default one: `switchboard-app` / `switchboard-secret`.
    public var users = [ApplicationUser(clientID: "switchboard-app", clientSecret: "switchboard-secret")]
    public var limits = ServiceProtection.Limits()
    /// Simulated execution time per operation. Default none.
    public var latency = LatencyModel.none
    /// Injected failures, latency spikes and dropped connections. Default none.
    public var faults = FaultInjection()
    /// The `x-ms-dop-hint` header's value: the degree of parallelism recommended to clients. Default 4.
    public var dopHint = 4
    /// Largest request body accepted. Default 16 MiB.
    public var maxBodyBytes = 16 << 20
    public var schema = DefaultSchema.schema

    public typealias TLSFiles = EmulatorSecurity.TLSFiles

    public init() {}
}
