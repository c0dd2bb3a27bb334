import SwitchboardEngine
import SwitchboardModel

/// A Finance & Operations entity polled by a date-and-time field the service sets on every write
/// (`source.changes`): each read asks for the records modified at or after the last time seen,
/// oldest first. The entity must expose such a field (the standard entities mostly do not:
/// they are extended with their table's `ModifiedDateTime`).
public struct FinanceOperationsChanges: SourceSettings {
    /// The entity's public collection name, for example `CustomersV3`.
    public var entity: String
    /// The date-and-time field polled by. Default `ModifiedDateTime`.
    public var modifiedField: String = "ModifiedDateTime"
    /// Fields read (`$select`, with `dataAreaId` and the modified field added). Default all.
    public var select: [String]
    /// The one company read; nil: every company the application may see (`cross-company=true`).
    public var company: String?
    /// Time between polls once caught up. Default 30 s.
    public var interval: Duration = .seconds(30)
    /// Whether the first poll turns every existing record into a message. Default true.
    public var initialLoad: Bool = true

    public init(entity: String, select: [String] = [], company: String? = nil) {
        self.entity = entity
        self.select = select
        self.company = company
    }

    public var summary: String {
        "`\(entity)` polled by `\(modifiedField)` every \(interval.spoken)" + (company.map { " in company `\($0)`" } ?? ", every company")
            + (select.isEmpty ? ", all fields" : ", fields \(select.joined(separator: ", "))")
    }

    public var footprint: DataFootprint {
        DataFootprint(table: entity, columns: select, description: "source.changes reads \(entity)")
    }

    public func replicationProblem(mapped: Bool) -> (message: String, path: [String])? {
        if select.isEmpty { return ("reads every field of '\(entity)'; select the ones it uses", ["source", "changes"]) }
        if !mapped { return ("passes whole Finance & Operations records on without a map step that keeps the fields the target uses", ["steps"]) }
        return nil
    }
}
