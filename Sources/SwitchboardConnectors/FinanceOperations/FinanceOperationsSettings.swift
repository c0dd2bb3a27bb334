import SwitchboardEngine
import SwitchboardModel

/// A Finance & Operations environment's connection: its URL, the Microsoft Entra applications
/// it signs in as (each registered in the environment and mapped to a user), the company writes
/// go to when the message does not say, and how writes are gathered into `$batch` requests.
public struct FinanceOperationsConnectionSettings: ConnectionSettings {
    /// The environment URL, for example `https://contoso.operations.dynamics.com`.
    public var environmentURL: String?
    /// Headers sent with every request besides the bearer token.
    public var headers: [String: String] = [:]
    /// The token authority. Default `https://login.microsoftonline.com`.
    public var authority: String
    public var tenant: String
    public var clientID: String
    /// Resolved from its reference for the active environment; never written in a file.
    public var clientSecret: String
    /// A PEM file of certificate authorities to trust besides the system's (the emulator's `ca.pem`), absolute.
    public var caFile: String?
    /// More registered applications (client id and resolved secret) to spread the load over. Default none.
    public var additionalApplications: [(clientID: String, clientSecret: String)] = []
    /// The company (`dataAreaId`) of writes whose target names none. Default nil: the key has no
    /// `dataAreaId` (a shared entity), and a create goes to the application user's default company.
    public var defaultCompany: String?
    /// Writes sent together in one `$batch` request, each in its own change set. Default 1 (no batching).
    public var batchSize: Int = 1
    /// How long a write waits for others to share its batch. Default 10 ms.
    public var batchWait: Duration = .milliseconds(10)
    /// How long establishing a connection may take before the attempt fails. Default 3 s.
    public var connectTimeout: Duration = OutboundClient.defaultConnectTimeout

    public init(
        environmentURL: String?, authority: String = "https://login.microsoftonline.com", tenant: String, clientID: String, clientSecret: String,
        caFile: String? = nil
    ) {
        self.environmentURL = environmentURL
        self.authority = authority
        self.tenant = tenant
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.caFile = caFile
    }

    public var address: String? { environmentURL }

    /// The applications signed in as: the primary one and `additionalApplications`.
    public var applicationIDs: [String] { [clientID] + additionalApplications.map(\.clientID) }
}

/// A connection of a Finance & Operations system whose credentials are incomplete: its URL
/// alone, so the reader can still say what is missing and `check` can still see the environment.
struct IncompleteFinanceOperationsConnection: ConnectionSettings {
    var address: String?
}

/// Writes each message as one record of a Finance & Operations data entity through OData: the
/// document after the steps is the record's fields.
public struct FinanceOperationsWrite: TargetSettings {
    public enum Operation: String, Sendable, CaseIterable {
        /// Reads the record by its key, then updates it or creates it (the default: a repeated
        /// delivery is harmless).
        case upsert
        case create
        /// Update only; a missing record is an error.
        case update
        /// A record already gone counts as deleted.
        case delete
    }

    /// Where a write's company (`dataAreaId`) comes from.
    public enum Company: Sendable, Hashable {
        /// Read from the message.
        case path(JSONPath)
        /// The same for every message.
        case fixed(String)
    }

    /// The entity's public collection name, for example `CustomersV3`.
    public var entity: String
    /// Default upsert.
    public var operation: Operation
    /// The entity key's fields but `dataAreaId`, and where each value is read.
    public var key: [(field: String, path: JSONPath)]
    /// The company of each write; nil: the connection's `default_company`, or none (a shared entity).
    public var company: Company?
    /// What is sent as the record. Default `$`.
    public var body: JSONPath
    /// The application (its client id) every write is sent as; nil: each write goes to the next
    /// application not throttled.
    public var application: String?

    public init(
        entity: String, operation: Operation = .upsert, key: [(field: String, path: JSONPath)], company: Company? = nil,
        body: JSONPath = JSONPath("$")!, application: String? = nil
    ) {
        self.entity = entity
        self.operation = operation
        self.key = key
        self.company = company
        self.body = body
        self.application = application
    }

    public var identity: String? { application }

    public var summary: String {
        "Finance & Operations `\(operation.rawValue)` into `\(entity)`"
            + (key.isEmpty ? "" : " by " + key.map { "`\($0.field)`" }.joined(separator: ", "))
            + (company.map { if case .fixed(let id) = $0 { " in company `\(id)`" } else { " in the message's company" } } ?? "")
    }

    public var footprint: DataFootprint {
        DataFootprint(table: entity, description: "target.finance-operations \(operation.rawValue) into \(entity)")
    }

    public var idempotencyProblem: (message: String, path: [String])? {
        guard operation == .create else { return nil }
        return (
            "creates Finance & Operations records, so a repeated delivery is refused as a duplicate key or, with a number sequence, creates a second record; upsert by a key instead",
            ["target", "finance-operations", "operation"]
        )
    }
}
