import SwitchboardEngine
import SwitchboardModel

/// What the connector knows of a table from the service's own metadata, read once per table:
/// its logical name, its primary id column and each column's type, so that a key value is written
/// as the literal its column takes (`accountnumber='1001'` for a text column holding digits,
/// a bare GUID only for a GUID column) instead of guessed from how the value looks.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api
struct DataverseTable: Sendable {
    var logicalName: String
    var primaryID: String
    /// `AttributeType` by column logical name (`String`, `Uniqueidentifier`, `Integer`, ...).
    var columnTypes: [String: String]

    /// The literal a column's key value takes; nil for a type with no literal form known here
    /// (then text is quoted and numbers are bare).
    func literalKind(of column: String) -> ODataLiteral.Kind? {
        switch columnTypes[column] {
        case "String", "Memo", "EntityName": .text
        case "Uniqueidentifier", "Lookup", "Customer", "Owner": .guid
        case "Integer", "BigInt", "Picklist", "State", "Status": .integer
        case "Decimal", "Double", "Money": .decimal
        case "Boolean": .boolean
        case "DateTime": .dateTime
        default: nil
        }
    }

}

extension DataverseTable {
    /// The table as the answer to `EntityDefinitions?$filter=EntitySetName eq '…'` describes
    /// it, without its columns yet; nil when the answer lists no table.
    init?(definitions: JSONValue?) {
        guard case .array(let list)? = definitions?["value"], let first = list.first,
            case .string(let logical)? = first["LogicalName"], case .string(let primaryID)? = first["PrimaryIdAttribute"]
        else { return nil }
        self.init(logicalName: logical, primaryID: primaryID, columnTypes: [:])
    }

    /// Takes each column's type from the answer to `EntityDefinitions(LogicalName='…')/Attributes`.
    mutating func readColumns(from attributes: JSONValue?) {
        guard case .array(let columns)? = attributes?["value"] else { return }
        for column in columns {
            if case .string(let name)? = column["LogicalName"], case .string(let type)? = column["AttributeType"] { columnTypes[name] = type }
        }
    }
}

/// Why a table's metadata could not be read: what a write to it answers instead.
struct DataverseTableUnknown: Error {
    let outcome: TransportOutcome
    var message: String {
        switch outcome {
        case .unsendable(let reason), .connectionFailed(let reason): reason
        case .response(let status, _, let body), .transient(let status, _, let body), .refused(let status, let body): "answered \(status): \(body.prefix(200))"
        case .timeout: "no answer in time"
        }
    }
}
