import Foundation
import ODataFilter
import SwitchboardValues
import Synchronization

/// The OData service at `/data`: the service document, `$metadata`, reads of entity sets and of
/// one record by key, `$count`, create, update and delete. Behaviour without a server: the
/// emulator's HTTP layer turns requests into `ServiceRequest`s.
///
/// Guarantees: every request gets an answer in the service's shape (`ServiceError`), never a
/// crash; a refused write stores nothing. Reads see the caller's default company unless
/// `cross-company=true`; a key naming another company is not found without it.
public final class DataService: Sendable {
    public let schema: EntitySchema
    public let records: EntityRecords
    /// Largest page a read returns: 10,000, the service's documented maximum.
    public let pageSize: Int

    /// Gets the business events of each request's committed writes, in order, while the request
    /// still holds the service: it must only hand them on.
    private let onCommit: @Sendable ([RaisedBusinessEvent]) -> Void

    public init(
        schema: EntitySchema, records: EntityRecords = EntityRecords(), pageSize: Int = 10_000,
        onCommit: @escaping @Sendable ([RaisedBusinessEvent]) -> Void = { _ in }, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.now = now
        self.schema = schema
        self.records = records
        self.pageSize = pageSize
        self.onCommit = onCommit
    }

    /// The time written to entities' `modifiedField`.
    private let now: @Sendable () -> Date

    /// The time of a write, as the entity's modified field holds it: UTC with milliseconds.
    private func stamp(_ values: inout [String: JSONValue], _ entity: EntityType) {
        guard let field = entity.modifiedField else { return }
        values[field] = .string(now().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// Requests one after another: a change set runs alone, so what it rolls back is its own.
    private let serial = Mutex(())
    /// Business events raised by the current request's writes; a change set that rolls back drops its own.
    private let pending = Mutex<[RaisedBusinessEvent]>([])

    public func handle(_ request: ServiceRequest) -> ServiceResponse {
        serial.withLock { _ in
            let response = answer(request)
            let raised = pending.withLock { pending in
                defer { pending.removeAll() }
                return pending
            }
            if !raised.isEmpty { onCommit(raised) }
            return response
        }
    }

    /// Events raised so far in this request, to roll back to.
    var pendingEvents: Int { pending.withLock { $0.count } }

    /// Forgets the events raised since `mark` (a change set rolled back).
    func dropEvents(since mark: Int) {
        pending.withLock { $0.removeSubrange(min(mark, $0.count)...) }
    }

    private func raise(_ trigger: EntityBusinessEvent.Trigger, _ entity: EntityType, _ record: [String: JSONValue]) {
        let events = entity.businessEvents.filter { $0.on.contains(trigger) }
        guard !events.isEmpty else { return }
        pending.withLock { pending in
            for event in events { pending.append(RaisedBusinessEvent.raised(event, entity: entity, record: record)) }
        }
    }

    /// `{"CustomersV3": [{…}, …], …}`: creates the records as a client would (defaults, number
    /// sequences, `dataAreaId` or `company`), all or none. Returns how many, or the first refusal
    /// naming its set and position.
    public func seed(_ body: [UInt8], company: String) -> Result<Int, ServiceError> {
        serial.withLock { _ in
            guard case .object(let sets)? = try? JSONValue(json: body) else {
                return .failure(.badRequest("The seed body must be a JSON object of entity set names to arrays of records."))
            }
            let before = records.snapshot()
            var created = 0
            for (name, value) in sets.sorted(by: { $0.key < $1.key }) {
                guard let entity = schema.entity(set: name) else {
                    records.restore(before)
                    return .failure(.badRequest("The seed names the entity set '\(name)', which the schema does not declare."))
                }
                guard case .array(let items) = value else {
                    records.restore(before)
                    return .failure(.badRequest("\(name) must be an array of records."))
                }
                for (index, item) in items.enumerated() {
                    do throws(ServiceError) {
                        guard case .object(let fields) = item else { throw .badRequest("it is not a JSON object") }
                        var values = try EntityWrite.create(fields.filter { !$0.key.contains("@") }, entity: entity, schema: schema, company: company)
                        stamp(&values, entity)
                        _ = try records.insert(entity, values)
                        created += 1
                    } catch {
                        records.restore(before)
                        return .failure(ServiceError(status: 400, message: "\(name)[\(index)]: \(error.inner ?? error.message)"))
                    }
                }
            }
            records.keep(before)
            return .success(created)
        }
    }

    /// The answer to one request, as a response (an error in the service's shape).
    func answer(_ request: ServiceRequest) -> ServiceResponse {
        do throws(ServiceError) {
            return try route(request)
        } catch {
            return .error(error)
        }
    }

    private func route(_ request: ServiceRequest) throws(ServiceError) -> ServiceResponse {
        var path = request.path
        guard path == "/data" || path.hasPrefix("/data/") else { throw .noResource(request.root + request.path) }
        path.removeFirst("/data".count)
        if path.hasPrefix("/") { path.removeFirst() }
        if path.isEmpty {
            guard request.method == "GET" else { throw ServiceError(status: 405, message: "The service document is read with GET.") }
            return serviceDocument(request)
        }
        if path == "$metadata" {
            guard request.method == "GET" else { throw ServiceError(status: 405, message: "$metadata is read with GET.") }
            return .text(ServiceMetadata.document(schema), type: "application/xml")
        }
        if path == "$batch" {
            guard request.method == "POST" else { throw ServiceError(status: 405, message: "A $batch request must use POST.") }
            return try ServiceBatch.run(request, service: self)
        }
        let (setName, keyText, rest) = Self.split(path)
        guard let entity = schema.entity(set: setName) else { throw .noResource(request.root + request.path) }
        if rest == "$count", keyText == nil {
            guard request.method == "GET" else { throw ServiceError(status: 405, message: "$count is read with GET.") }
            let query = try EntityQuery.parse(request, entity: entity, schema: schema)
            return .text(String(visible(entity, request, query).count))
        }
        if !rest.isEmpty, let keyText, let navigation = entity.navigation(rest) {
            // `SalesOrderHeadersV2(…)/SalesOrderLines`: the related records.
            guard request.method == "GET" else { throw ServiceError(status: 405, message: "A navigation property is read with GET.") }
            let key = try EntityKey.parse(keyText, for: entity)
            let query = try EntityQuery.parse(request, entity: entity, schema: schema)
            let record = try found(entity, key, request, crossCompany: query.crossCompany)
            guard let target = schema.entity(set: navigation.set) else { throw .noResource(request.root + request.path) }
            let related = self.related(record, navigation)
            if navigation.many {
                return .json(
                    200,
                    .object([
                        "@odata.context": .string(request.root + "/data/$metadata#" + target.setName),
                        "value": .array(related.map { .object(object($0, target, select: nil)) }),
                    ]))
            }
            guard let one = related.first else { throw .notFound(navigation.name) }
            var body = object(one, target, select: nil)
            body["@odata.context"] = .string(request.root + "/data/$metadata#" + target.setName + "/$entity")
            return .json(200, .object(body))
        }
        guard rest.isEmpty else { throw .noResource(request.root + request.path) }
        guard let keyText else {
            switch request.method {
            case "GET": return try read(entity, request)
            case "POST": return try create(entity, request)
            default: throw ServiceError(status: 405, message: "The entity set \(entity.setName) takes GET and POST; \(request.method) needs a key.")
            }
        }
        let key = try EntityKey.parse(keyText, for: entity)
        switch request.method {
        case "GET": return try readOne(entity, key, request)
        case "PATCH", "PUT", "MERGE": return try update(entity, key, request)
        case "DELETE": return try delete(entity, key, request)
        default: throw ServiceError(status: 405, message: "A record of \(entity.setName) takes GET, PATCH, PUT and DELETE.")
        }
    }

    /// `CustomersV3(…)/$count` into the set's name, the key's text and what follows.
    static func split(_ path: String) -> (set: String, key: String?, rest: String) {
        guard let open = path.firstIndex(of: "("), let close = path.lastIndex(of: ")"), open < close else {
            let parts = path.split(separator: "/", maxSplits: 1)
            return (String(parts.first ?? ""), nil, parts.count > 1 ? String(parts[1]) : "")
        }
        var rest = String(path[path.index(after: close)...])
        if rest.hasPrefix("/") { rest.removeFirst() }
        return (String(path[..<open]), String(path[path.index(after: open)..<close]), rest)
    }

    private func serviceDocument(_ request: ServiceRequest) -> ServiceResponse {
        .json(
            200,
            .object([
                "@odata.context": .string(request.root + "/data/$metadata"),
                "value": .array(schema.entities.map { .object(["name": .string($0.setName), "kind": .string("EntitySet"), "url": .string($0.setName)]) }),
            ]))
    }

    /// The records a read sees: those `$filter` keeps, of the caller's company or, with
    /// `cross-company=true`, of every company.
    private func visible(_ entity: EntityType, _ request: ServiceRequest, _ query: EntityQuery) -> [StoredEntity] {
        let candidates: [StoredEntity]
        if let keys = query.filter.flatMap({ Self.keyLookups($0, entity: entity) }) {
            // A filter on whole keys (`(dataAreaId eq 'usmf' and CustomerAccount eq 'C-1') or …`)
            // is answered from the keys, as the service's indexes would, not by a scan.
            candidates = Set(keys).compactMap { records.record(entity, key: EntityKey(values: $0)) }.sorted { $0.recId < $1.recId }
        } else {
            candidates = records.records(entity)
        }
        let all = query.filtered(candidates)
        guard entity.perCompany, !query.crossCompany else { return all }
        let company = request.company.lowercased()
        return all.filter { $0.values[EntitySchema.company]?.text == company }
    }

    /// The keys a filter names exactly, when it is an `or` of `and`s of `eq` on every key field
    /// (no wildcard); nil for any other filter.
    static func keyLookups(_ filter: FilterExpression, entity: EntityType) -> [[String: JSONValue]]? {
        func alternatives(_ expression: FilterExpression) -> [FilterExpression] {
            if case .or(let left, let right) = expression { return alternatives(left) + alternatives(right) }
            return [expression]
        }
        func conjuncts(_ expression: FilterExpression) -> [FilterExpression] {
            if case .and(let left, let right) = expression { return conjuncts(left) + conjuncts(right) }
            return [expression]
        }
        var keys: [[String: JSONValue]] = []
        for alternative in alternatives(filter) {
            var key: [String: JSONValue] = [:]
            for part in conjuncts(alternative) {
                guard case .compare(let property, .eq, let literal) = part, entity.key.contains(property), key[property] == nil else { return nil }
                switch literal {
                case .string(let text) where !text.contains("*"): key[property] = literal
                case .int, .double, .largeInteger: key[property] = literal
                default: return nil
                }
            }
            guard key.count == entity.key.count else { return nil }
            keys.append(key)
        }
        return keys
    }

    private func read(_ entity: EntityType, _ request: ServiceRequest) throws(ServiceError) -> ServiceResponse {
        let query = try EntityQuery.parse(request, entity: entity, schema: schema)
        let matching = query.sorted(visible(entity, request, query))
        let wanted = query.top.map { min($0, max(0, matching.count - query.skip)) } ?? max(0, matching.count - query.skip)
        let page = Array(matching.dropFirst(query.skip).prefix(min(wanted, pageSize)))
        var body: [String: JSONValue] = [
            "@odata.context": .string(request.root + "/data/$metadata#" + entity.setName + Self.selection(query.select)),
            "value": .array(page.map { .object(object($0, entity, select: query.select, expand: query.expand)) }),
        ]
        if query.count { body["@odata.count"] = .int(Int64(matching.count)) }
        if wanted > page.count {
            // The next page: the same request from where this one ended.
            var options = request.query.filter { $0.0 != "$skip" && $0.0 != "$top" }
            options.append(("$skip", String(query.skip + page.count)))
            if let top = query.top { options.append(("$top", String(top - page.count))) }
            body["@odata.nextLink"] = .string(request.root + "/data/" + entity.setName + "?" + Self.encode(options))
        }
        return .json(200, .object(body))
    }

    private func readOne(_ entity: EntityType, _ key: EntityKey, _ request: ServiceRequest) throws(ServiceError) -> ServiceResponse {
        let query = try EntityQuery.parse(request, entity: entity, schema: schema)
        let record = try found(entity, key, request, crossCompany: query.crossCompany)
        var body = object(record, entity, select: query.select, expand: query.expand)
        body["@odata.context"] = .string(request.root + "/data/$metadata#" + entity.setName + Self.selection(query.select) + "/$entity")
        return .json(200, .object(body), headers: [("ETag", record.etag)])
    }

    private func create(_ entity: EntityType, _ request: ServiceRequest) throws(ServiceError) -> ServiceResponse {
        let body = try EntityWrite.parse(request.body, for: entity)
        var values = try EntityWrite.create(body, entity: entity, schema: schema, company: request.company)
        stamp(&values, entity)
        let record = try records.insert(entity, values)
        raise(.create, entity, record.values)
        let key = EntityKey(values: record.values.filter { entity.key.contains($0.key) })
        var answer = object(record, entity, select: nil)
        answer["@odata.context"] = .string(request.root + "/data/$metadata#" + entity.setName + "/$entity")
        return .json(201, .object(answer), headers: [("ETag", record.etag), ("Location", request.root + "/data/" + entity.setName + key.segment(for: entity))])
    }

    private func update(_ entity: EntityType, _ key: EntityKey, _ request: ServiceRequest) throws(ServiceError) -> ServiceResponse {
        let crossCompany = request.option("cross-company")?.lowercased() == "true"
        try Self.precondition(request, try found(entity, key, request, crossCompany: crossCompany))
        let body = try EntityWrite.parse(request.body, for: entity)
        let schema = schema
        guard
            let updated = try records.update(
                entity, key: key,
                { values throws(ServiceError) in
                    try EntityWrite.update(body, into: &values, entity: entity, schema: schema)
                    self.stamp(&values, entity)
                })
        else { throw .notFound(entity.setName) }
        raise(.update, entity, updated.values)
        return .empty(204)
    }

    private func delete(_ entity: EntityType, _ key: EntityKey, _ request: ServiceRequest) throws(ServiceError) -> ServiceResponse {
        let crossCompany = request.option("cross-company")?.lowercased() == "true"
        let existing = try found(entity, key, request, crossCompany: crossCompany)
        try Self.precondition(request, existing)
        guard entity.deletable else {
            throw .writeFailed(entity, ["Warning: \(entity.setName) does not support delete operations."], status: 400)
        }
        guard records.delete(entity, key: key) else { throw .notFound(entity.setName) }
        raise(.delete, entity, existing.values)
        return .empty(204)
    }

    /// `If-Match`: none or `*` writes whatever the record's version; an ETag writes only while
    /// it is the record's (412 otherwise), as OData's optimistic concurrency goes. Whether the
    /// service checks it is unconfirmed; clients send `If-Match: *`.
    static func precondition(_ request: ServiceRequest, _ record: StoredEntity) throws(ServiceError) {
        guard let match = request.header("If-Match")?.trimmingCharacters(in: .whitespaces), match != "*" else { return }
        let tags = match.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard tags.contains(record.etag) else {
            throw ServiceError(status: 412, message: "The ETag in If-Match (\(match.prefix(80))) is not the record's; it changed since it was read.")
        }
    }

    /// The record with this key, if the request may see its company.
    private func found(_ entity: EntityType, _ key: EntityKey, _ request: ServiceRequest, crossCompany: Bool) throws(ServiceError) -> StoredEntity {
        guard let record = records.record(entity, key: key) else { throw .notFound(entity.setName) }
        if entity.perCompany, !crossCompany, record.values[EntitySchema.company]?.text != request.company.lowercased() {
            throw .notFound(entity.setName)
        }
        return record
    }

    /// A record as the service writes it: `@odata.etag` and every field (or the selected ones),
    /// and each expanded navigation property's records (an array, or one record or null).
    private func object(
        _ record: StoredEntity, _ entity: EntityType, select: [String]?, expand: [(navigation: EntityNavigation, select: [String]?)] = []
    ) -> [String: JSONValue] {
        var object: [String: JSONValue] = ["@odata.etag": .string(record.etag)]
        for field in entity.fields where select?.contains(field.name) ?? true {
            object[field.name] = record.values[field.name] ?? EntityWrite.defaultValue(field, schema: schema)
        }
        for (navigation, fields) in expand {
            guard let target = schema.entity(set: navigation.set) else { continue }
            let related = self.related(record, navigation).map { JSONValue.object(self.object($0, target, select: fields)) }
            object[navigation.name] = navigation.many ? .array(related) : related.first ?? .null
        }
        return object
    }

    /// The records a navigation property leads to: same company, joined fields equal.
    private func related(_ record: StoredEntity, _ navigation: EntityNavigation) -> [StoredEntity] {
        guard let target = schema.entity(set: navigation.set) else { return [] }
        var join = navigation.join
        if target.perCompany, record.values[EntitySchema.company] != nil { join[EntitySchema.company] = EntitySchema.company }
        return records.records(target).filter { candidate in
            join.allSatisfy { local, remote in
                EntityRecords.normalized(record.values[local] ?? .null) == EntityRecords.normalized(candidate.values[remote] ?? .null)
            }
        }
    }

    static func selection(_ select: [String]?) -> String { select.map { "(" + $0.joined(separator: ",") + ")" } ?? "" }

    static func encode(_ options: [(String, String)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        return options.map { name, value in
            (name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name) + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }.joined(separator: "&")
    }
}
