import SwitchboardEngine
import SwitchboardModel

/// Reads Dataverse's error answers beyond their status, so a passing fault is retried and a real
/// one goes to the dead letters with the service's message.
///
/// Retried although the status is a 4xx:
/// - `412` "A record with matching key values already exists." on an unconditional upsert: another
///   writer created the same key between the lookup and the insert; the next attempt updates it.
/// - the server-busy codes `0x8005F102`/`0x8005F103` and SQL deadlocks and timeouts
///   ("Sql Number: 1205", "SQL timeout"), which the service reports as 4xx or 5xx.
/// Everything else keeps its status's meaning: 429 and 5xx retry, other 4xx are permanent.
public enum DataverseErrors {
    static let busyCodes: Set<String> = ["0x8005f102", "0x8005f103"]

    /// Whether an answer with this status and body to `request` is a passing fault.
    public static func isTransient(status: Int, body: String, request: OutboundRequest) -> Bool {
        guard (400..<500).contains(status), status != 429 else { return false }
        let error = (try? JSONValue(json: Array(body.utf8)))?["error"]
        let code = error?["code"]?.text.lowercased() ?? ""
        let message = error?["message"]?.text ?? body
        if busyCodes.contains(code) { return true }
        let lowered = message.lowercased()
        if lowered.contains("sql number: 1205") || lowered.contains("deadlock") || lowered.contains("sql timeout") { return true }
        if status == 412, message == "A record with matching key values already exists.",
            request.method == "PATCH", request.header("If-None-Match") == nil, request.header("If-Match") == nil
        {
            return true
        }
        return false
    }
}
