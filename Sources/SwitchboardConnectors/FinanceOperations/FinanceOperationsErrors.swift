import SwitchboardEngine
import SwitchboardModel

/// Reads Finance & Operations' error answers beyond their status. The service reports a write
/// the entity refused (validation, a mandatory field left out, a duplicate key) as `500` with
/// "An error has occurred." and the infolog in `innererror.message` ("Write failed for table row
/// of type 'CustCustomerV3Entity'. Infolog: Warning: Field 'Customer group' must be filled in.");
/// retrying cannot fix it, so it is `refused` with the infolog as its text.
///
/// Retried although the answer says otherwise:
/// - a create of an upsert refused because "The record already exists": another writer created
///   the key between the read and the create; the next attempt reads again and updates it;
/// - an update of an upsert answered `404`: the record went between the read and the write;
/// - a deadlock or an update conflict in the infolog.
///
/// A delete answered `404` is delivered: the record is gone, which is what a repeated delete
/// wants. Everything else keeps its status's meaning: `429` and other `5xx` retry, other `4xx`
/// are permanent.
/// https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/odata
enum FinanceOperationsErrors {
    static func classify(_ outcome: TransportOutcome, action: FinanceOperationsRequests.Action, upsert: Bool) -> TransportOutcome {
        guard case .response(let status, let retryAfter, let body) = outcome, status >= 400 else { return outcome }
        if status == 401 { return .transient(status: status, retryAfter: retryAfter, body: body) }
        if status == 404, action == .delete { return .response(status: 204, retryAfter: nil, body: "already deleted: \(body)") }
        if status == 404, upsert, action == .update { return .transient(status: status, retryAfter: nil, body: body) }
        guard let infolog = infolog(body) else { return outcome }
        let lowered = infolog.lowercased()
        if lowered.contains("deadlock") || lowered.contains("update conflict") {
            return .transient(status: status, retryAfter: retryAfter, body: infolog)
        }
        if upsert, action == .create, lowered.contains("already exists") { return .transient(status: status, retryAfter: nil, body: infolog) }
        return .refused(status: status, body: infolog)
    }

    /// The infolog of a failed write: the inner error's message when it names a failed write or
    /// an infolog. Nil for other errors (a routing error, a failure of the service itself).
    static func infolog(_ body: String) -> String? {
        guard let error = (try? JSONValue(json: Array(body.utf8)))?["error"],
            let inner = error["innererror"]?["message"]?.text
        else { return nil }
        let type = error["innererror"]?["type"]?.text ?? ""
        guard type.hasSuffix("AxODataWriteException") || inner.contains("Infolog:") || inner.hasPrefix("Write failed") else { return nil }
        return inner
    }
}
