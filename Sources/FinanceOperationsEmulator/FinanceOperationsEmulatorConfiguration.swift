import EmulatorSecurity
import FinanceOperationsEmulatorCore

/// How `switchboard emulate finance-operations` serves. Defaults: 127.0.0.1:8443 without TLS
/// files (plain HTTP), the default entities, pages of 10,000 records, bodies up to 64 MiB.
public struct FinanceOperationsEmulatorConfiguration: Sendable {
    public typealias TLSFiles = EmulatorSecurity.TLSFiles

    /// An application registered on the Microsoft Entra applications form (System
    /// administration > Setup > Microsoft Entra applications): its client id mapped to a user,
    /// whose default company its requests see.
    public struct Application: Sendable, Hashable {
        public var credentials: ApplicationUser
        /// The mapped user's default company (`usmf` by default).
        public var company: String
        /// Its row on the Throttling priority mapping form. Medium unless given.
        public var priority: ResourceThrottle.Priority

        public init(credentials: ApplicationUser, company: String = "usmf", priority: ResourceThrottle.Priority = .medium) {
            self.credentials = credentials
            self.company = company.lowercased()
            self.priority = priority
        }
    }

    public var host = "127.0.0.1"
    public var port = 8443
    public var tls: TLSFiles?
    /// The tenant in token URLs. Default `switchboard`.
    public var tenant = "switchboard"
    /// The registered applications; requests of any other are refused with 401.
    public var applications: [Application]
    /// Clients Entra knows (they get tokens) that are not registered in Finance & Operations.
    public var unregistered: [ApplicationUser] = []
    public var schema: EntitySchema = DefaultEntities.schema
    public var pageSize = 10_000
    /// Priority-based throttling of `/data` (`ResourceThrottle.Settings`; on by default).
    public var throttling = ResourceThrottle.Settings()
    public var maxBodyBytes = 64 << 20
    /// Retries and timeout of business event deliveries (the documented defaults).
    public var businessEvents = BusinessEventDispatcher.Settings()

    public init(applications: [Application]) {
        self.applications = applications
    }
}
