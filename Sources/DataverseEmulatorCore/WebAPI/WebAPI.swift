import Foundation
import SwitchboardValues

/// The Dataverse Web API over the record store: records, queries, upserts, metadata and `WhoAmI`.
///
/// Shapes follow Microsoft's pages, cited where a status, header or message is copied:
/// - create, retrieve, update, delete: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api
///   and update-delete-entities-using-web-api
/// - upsert and conditions: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
/// - queries and paging: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results
public struct WebAPI: Sendable {
    public let store: RecordStore
    var schema: EmulatorSchema { store.schema }

    public init(store: RecordStore) {
        self.store = store
    }

    /// Handles one request; `baseURL` is `https://host:port/api/data/v9.2/` as the client addressed it.
    public func handle(_ request: WebAPIRequest, baseURL: String, user: ApplicationUser) -> WebAPIResponse {
        if request.resourcePath == "$batch" {
            return Batch.handle(request, api: self, baseURL: baseURL, user: user)
        }
        do {
            return try store.write { tables throws(DataverseError) in try route(request, baseURL: baseURL, user: user, tables: &tables) }
        } catch {
            return .error(error)
        }
    }

    /// Handles one request against `tables` (the live tables, or a change set's draft).
    func route(_ request: WebAPIRequest, baseURL: String, user: ApplicationUser, tables: inout RecordTables) throws(DataverseError) -> WebAPIResponse
    {
        let path = request.resourcePath
        let preferences = Preferences(request.header("Prefer"))
        if path == "$metadata" { return Metadata.document(schema) }
        if path.isEmpty {
            guard request.method == "GET" else { throw methodNotAllowed(request) }
            return Metadata.serviceDocument(schema, baseURL: baseURL)
        }
        if path == "WhoAmI" || path == "WhoAmI()" {
            guard request.method == "GET" else { throw methodNotAllowed(request) }
            return .json(
                200,
                .object([
                    "@odata.context": .string("\(baseURL)$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse"),
                    "BusinessUnitId": .string(Metadata.businessUnitID), "UserId": .string(user.userID),
                    "OrganizationId": .string(Metadata.organizationID),
                ]))
        }
        if path.hasPrefix("EntityDefinitions") {
            return try Metadata.entityDefinitions(path: path, query: request.query, schema: schema, baseURL: baseURL)
        }

        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let (setName, keyText) = Self.splitKey(segments[0])
        guard let table = schema.table(entitySet: setName) else { throw DataverseError.resourceNotFound(segment: setName) }
        // The system tables describe the service: read-only.
        if SystemTables.names.contains(table.logicalName), request.method != "GET" { throw methodNotAllowed(request) }
        if let keyText {
            guard let key = RecordKey.parse(keyText) else { throw DataverseError.invalidKey(table: table) }
            guard segments.count == 1 else { throw DataverseError.resourceNotFound(segment: segments[1]) }
            return try record(request, table: table, key: key, preferences: preferences, baseURL: baseURL, tables: &tables)
        }
        if segments.count == 2, segments[1].hasPrefix("Microsoft.Dynamics.CRM.") {
            guard request.method == "POST" else { throw methodNotAllowed(request) }
            return try BulkOperations.handle(
                String(segments[1].dropFirst("Microsoft.Dynamics.CRM.".count)), request: request, table: table,
                baseURL: baseURL, tables: &tables)
        }
        if segments.count == 2, segments[1] == "$count" {
            guard request.method == "GET" else { throw methodNotAllowed(request) }
            return WebAPIResponse(
                status: 200, headers: WebAPIResponse.odataHeaders + [("Content-Type", "text/plain")],
                body: Array(String(min(tables.count(table), QueryOptions.maxPageSize)).utf8))
        }
        guard segments.count == 1 else { throw DataverseError.resourceNotFound(segment: segments[1]) }
        switch request.method {
        case "GET": return try query(request, table: table, preferences: preferences, baseURL: baseURL, tables: tables)
        case "POST": return try create(request, table: table, preferences: preferences, baseURL: baseURL, tables: &tables)
        default:
            // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors (405 on a collection)
            throw DataverseError(
                status: 405, code: DataverseError.odataCode,
                message: "The HTTP method '\(request.method)' is not allowed on the collection '\(setName)'; address one record as \(setName)(<id>).")
        }
    }

    // MARK: - Records

    private func create(
        _ request: WebAPIRequest, table: TableSchema, preferences: Preferences, baseURL: String, tables: inout RecordTables
    ) throws(DataverseError) -> WebAPIResponse {
        let payload = try RecordPayload.parse(try Self.body(request), table: table)
        let record = try tables.create(table, payload)
        if preferences.returnRepresentation {
            return representation(record, table: table, status: 201, preferences: preferences, query: request.query, baseURL: baseURL, tables: tables)
        }
        return .noContent(headers: [("OData-EntityId", "\(baseURL)\(table.entitySetName)(\(record.id))")])
    }

    private func record(
        _ request: WebAPIRequest, table: TableSchema, key: RecordKey, preferences: Preferences, baseURL: String, tables: inout RecordTables
    ) throws(DataverseError) -> WebAPIResponse {
        switch request.method {
        case "GET":
            let found = try tables.retrieve(table, key: key)
            // Conditional GET: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
            if let etag = request.header("If-None-Match"), etag == found.etag, preferences.annotations.isEmpty {
                return WebAPIResponse(status: 304, headers: WebAPIResponse.odataHeaders)
            }
            return representation(
                found, table: table, status: 200, preferences: preferences, query: request.query, baseURL: baseURL, tables: tables,
                echoPreference: false)
        case "PATCH":
            let payload = try RecordPayload.parse(try Self.body(request), table: table)
            let condition: RecordTables.WriteCondition
            if let match = request.header("If-Match") {
                condition = match == "*" ? .updateOnly : .version(match)
            } else if request.header("If-None-Match") == "*" {
                condition = .createOnly
            } else {
                condition = .upsert
            }
            let (record, created) = try tables.upsert(table, key: key, payload, condition: condition)
            if preferences.returnRepresentation {
                return representation(
                    record, table: table, status: created ? 201 : 200, preferences: preferences, query: request.query, baseURL: baseURL,
                    tables: tables)
            }
            // "The response is identical for Create or Update operations": the key as addressed.
            return .noContent(headers: [("OData-EntityId", "\(baseURL)\(table.entitySetName)(\(key.urlText))")])
        case "DELETE":
            try tables.delete(table, key: key, etag: request.header("If-Match"))
            return .noContent()
        default:
            throw methodNotAllowed(request)
        }
    }

    private func representation(
        _ record: StoredRecord, table: TableSchema, status: Int, preferences: Preferences, query: [(String, String)],
        baseURL: String, tables: RecordTables, echoPreference: Bool = true
    ) -> WebAPIResponse {
        let options = try? QueryOptions(query.filter { $0.0 == "$select" || $0.0 == "$expand" }, table: table, schema: schema)
        let select = options?.select
        var object = RecordSerializer(tables: tables, table: table, preferences: preferences).object(record, select: select)
        if let options { Self.expand(&object, record, options, tables: tables, preferences: preferences) }
        let selected = select.map { "(\($0.map(\.propertyName).joined(separator: ",")))" } ?? ""
        object["@odata.context"] = .string("\(baseURL)$metadata#\(table.entitySetName)\(selected)/$entity")
        var headers = [("ETag", record.etag)]
        var applied: [String] = []
        if echoPreference, preferences.returnRepresentation { applied.append("return=representation") }
        if !preferences.annotations.isEmpty { applied.append("odata.include-annotations=\"\(preferences.annotations.joined(separator: ","))\"") }
        if !applied.isEmpty { headers.append(("Preference-Applied", applied.joined(separator: ","))) }
        return .json(status, .object(object), headers: headers)
    }

    // MARK: - Queries

    private func query(
        _ request: WebAPIRequest, table: TableSchema, preferences: Preferences, baseURL: String, tables: RecordTables
    ) throws(DataverseError) -> WebAPIResponse {
        let options = try QueryOptions(request.query, table: table, schema: schema)
        if preferences.trackChanges || options.deltaToken != nil || options.continuesTracking {
            return try ChangeTracking.answer(request, table: table, options: options, preferences: preferences, tables: tables, baseURL: baseURL)
        }
        let matching = options.run(tables.all(table)) { target, id in tables.record(table: target, id: id) }
        let serializer = RecordSerializer(tables: tables, table: table, preferences: preferences)
        let selected = options.select.map { "(\($0.map(\.propertyName).joined(separator: ",")))" } ?? ""
        var body: [String: JSONValue] = ["@odata.context": .string("\(baseURL)$metadata#\(table.entitySetName)\(selected)")]
        var applied: [String] = []
        var page: ArraySlice<StoredRecord>
        if let requested = preferences.maxPageSize {
            // $top is ignored when odata.maxpagesize is given (page-results).
            let size = min(max(1, requested), QueryOptions.maxPageSize)
            applied.append("odata.maxpagesize=\(size)")
            let start = (options.page - 1) * size
            page = matching.dropFirst(start).prefix(size)
            if start + size < matching.count {
                var parameters = request.query.filter { $0.0 != "$skiptoken" }
                parameters.append(("$skiptoken", QueryOptions.skipToken(page: options.page + 1)))
                body["@odata.nextLink"] = .string("\(baseURL)\(table.entitySetName)?\(Self.encodeQuery(parameters))")
            }
        } else {
            let limit = min(options.top ?? QueryOptions.maxPageSize, QueryOptions.maxPageSize)
            page = matching.prefix(limit)
            if options.top == nil, matching.count > QueryOptions.maxPageSize {
                var parameters = request.query.filter { $0.0 != "$skiptoken" }
                parameters.append(("$skiptoken", QueryOptions.skipToken(page: 2)))
                body["@odata.nextLink"] = .string("\(baseURL)\(table.entitySetName)?\(Self.encodeQuery(parameters))")
            }
        }
        if options.count {
            // $count counts up to 5,000 (Microsoft.Dynamics.CRM.totalrecordcount for more).
            body["@odata.count"] = .int(Int64(min(matching.count, QueryOptions.maxPageSize)))
        }
        if !preferences.annotations.isEmpty { applied.append("odata.include-annotations=\"\(preferences.annotations.joined(separator: ","))\"") }
        body["value"] = .array(
            page.map { record in
                var object = serializer.object(record, select: options.select)
                Self.expand(&object, record, options, tables: tables, preferences: preferences)
                return .object(object)
            })
        return .json(200, .object(body), headers: applied.isEmpty ? [] : [("Preference-Applied", applied.joined(separator: ","))])
    }

    // MARK: - Helpers

    /// Adds each `$expand`ed lookup's record (its selected columns), or null when it is not set.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables
    static func expand(
        _ object: inout [String: JSONValue], _ record: StoredRecord, _ options: QueryOptions, tables: RecordTables, preferences: Preferences
    ) {
        for item in options.expand {
            guard case .string(let id)? = record.values[item.column.logicalName],
                let referenced = tables.record(table: item.target.logicalName, id: id)
            else {
                object[item.name] = .null
                continue
            }
            object[item.name] = .object(
                RecordSerializer(tables: tables, table: item.target, preferences: preferences).object(referenced, select: item.select))
        }
    }

    static func body(_ request: WebAPIRequest) throws(DataverseError) -> JSONValue {
        guard !request.body.isEmpty else { throw DataverseError.badRequest("The request body is empty; send the record as a JSON object.") }
        do {
            return try JSONValue(json: request.body)
        } catch {
            throw DataverseError.badRequest("The request body is not valid JSON: \(error).")
        }
    }

    private func methodNotAllowed(_ request: WebAPIRequest) -> DataverseError {
        DataverseError(
            status: 405, code: DataverseError.odataCode, message: "The HTTP method '\(request.method)' is not allowed on '\(request.resourcePath)'.")
    }

    /// `accounts(key)` into `accounts` and `key`; no parentheses gives a nil key.
    static func splitKey(_ segment: String) -> (String, String?) {
        guard let open = segment.firstIndex(of: "("), segment.hasSuffix(")") else { return (segment, nil) }
        return (String(segment[..<open]), String(segment[segment.index(after: open)..<segment.index(before: segment.endIndex)]))
    }

    static func encodeQuery(_ parameters: [(String, String)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#<>\" ")
        return parameters.map {
            "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)"
        }
        .joined(separator: "&")
    }
}
