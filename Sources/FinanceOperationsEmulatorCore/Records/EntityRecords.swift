import Foundation
import SwitchboardValues
import Synchronization

/// One stored record of a data entity: every field's value (defaults filled in), its
/// `RecVersion` (changed by every update) and its `RecId` (fixed at create).
public struct StoredEntity: Sendable, Hashable {
    public var values: [String: JSONValue]
    public var recVersion: Int64
    public var recId: Int64

    /// `W/"…"`, the base64 of `'RecVersion,RecId'`, as the service's ETags decode.
    public var etag: String {
        let text = "'\(recVersion),\(recId)'"
        return "W/\"" + Data(text.utf8).base64EncodedString() + "\""
    }
}

/// Every entity's records, in memory, safe to share between requests.
///
/// Guarantees: a key identifies at most one record per entity (text compared without regard to
/// case, as the service's SQL collation does; numbers by value, so `LineNumber=1.0` is `1`);
/// a failed write changes nothing.
public final class EntityRecords: Sendable {
    fileprivate struct State: Sendable {
        var tables: [String: [[String]: StoredEntity]] = [:]
        var nextRecId: Int64 = 5_637_144_576
        /// The last number each entity's number sequence gave, per company.
        var sequences: [String: Int] = [:]
        /// While a change set (or a seed) runs: what each write replaced, newest last, to put back
        /// on failure. An undo log rather than a copy, so a change set costs what it writes, not
        /// what the entity holds.
        var journal: [Undo]?

        mutating func setRecord(_ set: String, _ identity: [String], _ record: StoredEntity?) {
            if journal != nil { journal?.append(.record(set: set, identity: identity, previous: tables[set]?[identity])) }
            if let record { tables[set, default: [:]][identity] = record } else { tables[set]?.removeValue(forKey: identity) }
        }
    }

    fileprivate enum Undo: Sendable {
        case record(set: String, identity: [String], previous: StoredEntity?)
        case sequence(counter: String, previous: Int?)
        case recId(Int64)
    }

    private let state = Mutex(State())

    public init() {}

    /// The key's identity: each part in key order, text in lower case, numbers by value.
    static func identity(_ values: [String: JSONValue], of entity: EntityType) -> [String] {
        entity.key.map { normalized(values[$0] ?? .null) }
    }

    /// A key part as keys compare it.
    static func normalized(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text.lowercased()
        case .int(let number): String(Double(number))
        case .double(let number): String(number)
        case let other: other.text
        }
    }

    public func record(_ entity: EntityType, key: EntityKey) -> StoredEntity? {
        let identity = Self.identity(key.values, of: entity)
        return state.withLock { $0.tables[entity.setName]?[identity] }
    }

    /// Every record of the entity, oldest first (by RecId).
    public func records(_ entity: EntityType) -> [StoredEntity] {
        state.withLock { Array(($0.tables[entity.setName] ?? [:]).values) }.sorted { $0.recId < $1.recId }
    }

    /// Stores a new record from `values` (already checked and completed by `EntityWrite`); keys
    /// left out and covered by a number sequence are given the sequence's next number. Refuses a
    /// key that exists.
    func insert(_ entity: EntityType, _ values: [String: JSONValue]) throws(ServiceError) -> StoredEntity {
        try state.withLock { state throws(ServiceError) -> StoredEntity in
            var values = values
            let company = values[EntitySchema.company]?.text.lowercased() ?? ""
            for field in entity.fields where entity.key.contains(field.name) && Self.isEmpty(values[field.name]) {
                if let prefix = field.numberSequence {
                    let counter = "\(entity.setName)/\(company)"
                    var next = state.sequences[counter, default: 0] + 1
                    var candidate = values
                    repeat {
                        candidate[field.name] = .string(prefix + String(format: "%06d", next))
                        next += 1
                    } while state.tables[entity.setName]?[Self.identity(candidate, of: entity)] != nil
                    if state.journal != nil { state.journal?.append(.sequence(counter: counter, previous: state.sequences[counter])) }
                    state.sequences[counter] = next - 1
                    values = candidate
                } else if case .real = field.type {
                    values[field.name] = .double(Double(Self.nextNumber(field.name, values, entity, state)))
                } else if case .int64 = field.type {
                    values[field.name] = .int(Self.nextNumber(field.name, values, entity, state))
                } else if case .int = field.type {
                    values[field.name] = .int(Self.nextNumber(field.name, values, entity, state))
                }
            }
            let identity = Self.identity(values, of: entity)
            if state.tables[entity.setName]?[identity] != nil {
                let parts = entity.key.map { "\($0): \(values[$0]?.text ?? "")" }.joined(separator: ", ")
                throw .writeFailed(entity, ["Info: Cannot create a record in \(entity.tableName). \(parts).\nThe record already exists."])
            }
            if state.journal != nil { state.journal?.append(.recId(state.nextRecId)) }
            state.nextRecId += 1
            let record = StoredEntity(values: values, recVersion: 1, recId: state.nextRecId)
            state.setRecord(entity.setName, identity, record)
            return record
        }
    }

    /// Replaces the values of the record with this key; nil when there is none.
    func update(_ entity: EntityType, key: EntityKey, _ change: (inout [String: JSONValue]) throws(ServiceError) -> Void) throws(ServiceError)
        -> StoredEntity?
    {
        let identity = Self.identity(key.values, of: entity)
        return try state.withLock { state throws(ServiceError) -> StoredEntity? in
            guard var record = state.tables[entity.setName]?[identity] else { return nil }
            try change(&record.values)
            // The service draws a new RecVersion at random on every update.
            record.recVersion = Int64.random(in: 2...Int64(Int32.max))
            state.setRecord(entity.setName, identity, record)
            return record
        }
    }

    /// Removes the record with this key; false when there is none.
    func delete(_ entity: EntityType, key: EntityKey) -> Bool {
        let identity = Self.identity(key.values, of: entity)
        return state.withLock { state in
            guard state.tables[entity.setName]?[identity] != nil else { return false }
            state.setRecord(entity.setName, identity, nil)
            return true
        }
    }

    /// Forgets every record and number sequence.
    public func reset() { state.withLock { $0 = State() } }

    /// A point to go back to (`restore`): how long the undo log was when it was taken.
    struct Snapshot: Sendable {
        fileprivate var depth: Int
    }

    /// Starts logging what writes replace, from this point; end with `restore` or `keep`.
    func snapshot() -> Snapshot {
        state.withLock { state in
            if state.journal == nil { state.journal = [] }
            return Snapshot(depth: state.journal?.count ?? 0)
        }
    }

    /// Puts back every record and number sequence as they were at `snapshot`: the change set that
    /// failed since leaves nothing behind.
    func restore(_ snapshot: Snapshot) {
        state.withLock { state in
            while let count = state.journal?.count, count > snapshot.depth, let undo = state.journal?.removeLast() {
                switch undo {
                case .record(let set, let identity, let previous):
                    if let previous { state.tables[set, default: [:]][identity] = previous } else { state.tables[set]?.removeValue(forKey: identity) }
                case .sequence(let counter, let previous): state.sequences[counter] = previous
                case .recId(let previous): state.nextRecId = previous
                }
            }
            if snapshot.depth == 0 { state.journal = nil }
        }
    }

    /// Keeps what was written since `snapshot`; the outermost one stops the log.
    func keep(_ snapshot: Snapshot) {
        state.withLock { state in
            if snapshot.depth == 0 { state.journal = nil }
        }
    }

    static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null: true
        case .string(let text): text.isEmpty
        default: false
        }
    }

    /// One more than the largest value of `field` among the records sharing the other key parts.
    private static func nextNumber(_ field: String, _ values: [String: JSONValue], _ entity: EntityType, _ state: State) -> Int64 {
        let others = entity.key.filter { $0 != field }
        let wanted = others.map { normalized(values[$0] ?? .null) }
        let siblings = (state.tables[entity.setName] ?? [:]).values.filter { record in
            others.map { normalized(record.values[$0] ?? .null) } == wanted
        }
        let largest = siblings.compactMap { record -> Double? in
            switch record.values[field] {
            case .int(let number): Double(number)
            case .double(let number): number
            default: nil
            }
        }.max() ?? 0
        return Int64(largest.rounded(.down)) + 1
    }
}
