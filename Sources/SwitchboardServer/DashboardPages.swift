import Foundation
import SwitchboardEngine
import SwitchboardModel

/// The dashboard's HTML: readable without scripts, styles inline, charts as inline SVG.
enum Pages {
    static func e(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    static let css = """
        body { font: 15px/1.5 system-ui, sans-serif; color: #1f2933; margin: 0; }
        header { background: #243b53; color: #fff; padding: 10px 24px; display: flex; gap: 18px; align-items: center; }
        header a { color: #fff; } header form { margin-left: auto; }
        main { padding: 16px 24px; }
        table { border-collapse: collapse; margin: 8px 0 16px; }
        th, td { border: 1px solid #cbd2d9; padding: 4px 10px; text-align: left; vertical-align: top; }
        th { background: #f0f4f8; }
        .error { color: #c53030; font-weight: 600; } .ok { color: #2f855a; font-weight: 600; } .paused { color: #b7791f; font-weight: 600; }
        pre { background: #f0f4f8; padding: 8px; overflow-x: auto; max-width: 1000px; }
        .wrap { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 60em; }
        .filters label { margin-right: 12px; }
        .diagram { overflow-x: auto; border: 1px solid #cbd2d9; }
        button { font: inherit; }
        """

    static func layout(_ title: String, session: Dashboard.Session?, refresh: Bool = false, body: String) -> String {
        let nav =
            session.map { session in
                """
                <a href="/">Overview</a><a href="/dead-letters">Dead letters</a><a href="/audit">Audit log</a><a href="/landscape">Landscape</a><a href="/nodes">Nodes</a>
                <small title="the workspace revision running">revision \(e(session.revision))</small>
                <form method="post" action="/logout"><input type="hidden" name="csrf" value="\(session.csrf)"><span>\(e(session.token.name)) (\(session.token.role.rawValue))</span> <button>Sign out</button></form>
                """
            } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(e(title)) · Switchboard</title>\(refresh ? #"<meta http-equiv="refresh" content="30">"# : "")
            <style>\(css)</style></head>
            <body><header><strong>Switchboard</strong>\(nav)</header><main><h1>\(e(title))</h1>
            \(body)
            </main></body></html>
            """
    }

    static func login(error: String?) -> String {
        layout(
            "Sign in", session: nil,
            body: """
                \(error.map { "<p class=\"error\">\(e($0))</p>" } ?? "")
                <form method="post" action="/login"><label>Management token <input type="password" name="token" size="60" autocomplete="off"></label>
                <button>Sign in</button></form>
                <p>Create one with <code>switchboard token create --role viewer|operator|admin --name NAME</code>.</p>
                """)
    }

    /// Twelve five-minute buckets over the last hour.
    static func buckets(_ records: [AuditRecord], now: Int64, _ value: ([AuditRecord]) -> Double) -> [Double] {
        (0..<12).map { index in
            let start = now - Int64(12 - index) * 300_000
            return value(records.filter { $0.at >= start && $0.at < start + 300_000 })
        }
    }

    /// A small inline line chart with its last value.
    static func sparkline(_ values: [Double], unit: String, colour: String) -> String {
        let maximum = max(values.max() ?? 0, 1)
        let points = values.enumerated().map { index, value in
            "\(Double(index) * 10),\(String(format: "%.1f", 28 - value / maximum * 26))"
        }.joined(separator: " ")
        let last = values.last ?? 0
        return
            #"<svg width="112" height="30" viewBox="0 0 112 30" role="img" aria-label="last hour, now \#(Int(last)) \#(unit)"><polyline fill="none" stroke="\#(colour)" stroke-width="1.5" points="\#(points)"/></svg> \#(Int(last.rounded())) \#(unit)"#
    }

    static func overview(_ integrations: JSONValue, activity: [AuditRecord], waiting: [String: Int], now: Int64, session: Dashboard.Session) -> String
    {
        let rows = integrations.arrayValues.map { integration -> String in
            let id = integration["id"]?.text ?? ""
            let mine = activity.filter { $0.integration == id }
            let delivered = buckets(mine, now: now) { Double($0.filter { $0.kind == .delivered }.count) }
            let errors = buckets(mine, now: now) { Double($0.filter { $0.kind == .retry || $0.kind == .dead }.count) }
            let latency = buckets(mine, now: now) { records in
                let durations = records.filter { $0.kind == .delivered }.compactMap(\.durationMillis)
                return durations.isEmpty ? 0 : Double(durations.reduce(0, +)) / Double(durations.count)
            }
            // Depth back from now: each bucket undoes what arrived and what finished in the later ones.
            var depth = Double(waiting[id] ?? 0)
            var depths: [Double] = []
            for index in (0..<12).reversed() {
                depths.insert(depth, at: 0)
                let start = now - Int64(12 - index) * 300_000
                let inBucket = mine.filter { $0.at >= start && $0.at < start + 300_000 }
                depth = max(
                    0,
                    depth - Double(inBucket.filter { $0.kind == .received }.count)
                        + Double(inBucket.filter { [.delivered, .dead, .filtered].contains($0.kind) }.count))
            }
            let state = integration["state"]?.text ?? ""
            let dead = integration["messages"]?["dead"]?.text ?? "0"
            return """
                <tr><td><a href="/integrations/\(e(id))">\(e(id))</a><br><small>\(e(integration["title"]?.text ?? ""))</small></td>
                <td class="\(state == "paused" ? "paused" : "ok")">\(e(state))</td>
                <td>\(sparkline(delivered, unit: "delivered", colour: "#2f855a"))</td><td>\(sparkline(errors, unit: "errors", colour: "#c53030"))</td>
                <td>\(sparkline(latency, unit: "ms", colour: "#2b6cb0"))</td><td>\(sparkline(depths, unit: "waiting", colour: "#b7791f"))</td>
                <td>\(dead == "0" ? "0" : "<a class=\"error\" href=\"/dead-letters\">\(dead)</a>")</td></tr>
                """
        }
        return layout(
            "Integrations", session: session, refresh: true,
            body: """
                \(healthSection(integrations))
                <p>Each chart: the last hour, left to right, in twelve five-minute steps, with the last step's value beside it; the page refreshes itself every 30 seconds.</p>
                <table><tr><th>Integration</th><th>State</th><th>Throughput<br><small>delivered per 5 min</small></th><th>Errors<br><small>failed attempts per 5 min</small></th><th>Latency<br><small>mean attempt, ms</small></th><th>Queue depth<br><small>messages waiting</small></th><th>Dead</th></tr>\(rows.joined())</table>
                """)
    }

    /// Health first, worst first: each integration that is not well, in colour and words, or one
    /// line saying all are.
    static func healthSection(_ integrations: JSONValue) -> String {
        let levels = IntegrationHealth.Level.allCases.map(\.rawValue)
        let unwell = integrations.arrayValues.filter { ($0["health"]?["status"]?.text ?? "ok") != "ok" }
            .sorted {
                levels.firstIndex(of: $0["health"]?["status"]?.text ?? "") ?? 0 > levels.firstIndex(of: $1["health"]?["status"]?.text ?? "") ?? 0
            }
        guard !unwell.isEmpty else {
            return
                "<section class=\"health\"><p class=\"ok\">Healthy: every integration's source and target work, nothing is paused, dead or late.</p></section>"
        }
        let rows = unwell.map { integration -> String in
            let id = integration["id"]?.text ?? ""
            let status = integration["health"]?["status"]?.text ?? ""
            let reasons = integration["health"]?["reasons"]?.arrayValues.map { "<li>\(e($0.text))</li>" }.joined() ?? ""
            return
                "<tr><td><a href=\"/integrations/\(e(id))\">\(e(id))</a></td><td class=\"\(status == "failing" ? "error" : "paused")\">\(e(status))</td><td><ul>\(reasons)</ul></td></tr>"
        }
        return """
            <section class="health"><h2>Needs attention</h2>
            <table><tr><th>Integration</th><th>Health</th><th>Why</th></tr>\(rows.joined())</table></section>
            """
    }

    static func csrf(_ session: Dashboard.Session) -> String { "<input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\">" }

    static func messageRows(_ messages: JSONValue) -> String {
        messages.arrayValues.map { message in
            let id = message["id"]?.text ?? ""
            return
                "<tr><td><a href=\"/messages/\(e(id))\">\(e(id))</a></td><td>\(e(message["state"]?.text ?? ""))</td><td>\(e(message["attempts"]?.text ?? ""))</td><td>\(e(message["received_at"]?.text ?? ""))</td><td>\(e(String((message["last_error"]?.text ?? "").prefix(120))))</td></tr>"
        }.joined()
    }

    static func integration(_ summary: JSONValue, messages: JSONValue, session: Dashboard.Session) -> String {
        let id = summary["id"]?.text ?? ""
        let paused = summary["state"]?.text == "paused"
        let counts: String =
            if case .object(let byState)? = summary["messages"] {
                byState.keys.sorted().map { "\(e($0)): \(byState[$0]!.text)" }.joined(separator: ", ")
            } else { "" }
        let control =
            session.token.role.allows(.operator)
            ? "<form method=\"post\" action=\"/integrations/\(e(id))/\(paused ? "resume" : "pause")\">\(csrf(session))<button>\(paused ? "Resume delivery" : "Pause delivery")</button></form>"
            : ""
        return layout(
            id, session: session, refresh: true,
            body: """
                <p>\(e(summary["title"]?.text ?? "")): \(e(summary["source"]?.text ?? "")) → \(e(summary["target"]?.text ?? "")).
                State: <span class="\(paused ? "paused" : "ok")">\(paused ? "paused (accepting and storing, not delivering)" : "running")</span>. Messages: \(counts.isEmpty ? "none" : counts).</p>
                \(healthSection(.array([summary])))
                \(control)
                <h2>Delivery policy</h2>
                \(policy(summary["policy"]))
                <h2>Recent messages</h2>
                <table><tr><th>Id</th><th>State</th><th>Attempts</th><th>Received</th><th>Last error</th></tr>\(messageRows(messages))</table>
                """)
    }

    static func policy(_ policy: JSONValue?) -> String {
        guard case .object(let fields)? = policy else { return "<p>Not known.</p>" }
        return "<table>"
            + fields.keys.sorted().map {
                "<tr><th>\(e($0.replacingOccurrences(of: "_", with: " ")))</th><td>\(e(fields[$0]!.text.isEmpty ? "—" : fields[$0]!.text))</td></tr>"
            }.joined() + "</table>"
    }

    static func message(_ message: JSONValue, session: Dashboard.Session) -> String {
        let id = message["id"]?.text ?? ""
        let history = (message["history"]?.arrayValues ?? []).map { record in
            // An attempt's request, folded under its answer.
            let request = record["request"].map { "<details><summary>Request sent</summary><pre class=\"wrap\">\(e($0.text))</pre></details>" } ?? ""
            return
                "<tr><td>\(e(record["at"]?.text ?? ""))</td><td>\(e(record["event"]?.text ?? ""))</td><td>\(e(record["attempt"]?.text ?? ""))</td><td>\(e(record["status"]?.text ?? ""))</td><td>\(e(record["duration_ms"].map { $0.text + " ms" } ?? ""))</td><td>\(e(record["revision"]?.text ?? ""))</td><td>\(e(record["actor"]?.text ?? ""))</td><td class=\"wrap\">\(e(String((record["detail"]?.text ?? "").prefix(300))))\(request)</td></tr>"
        }.joined()
        let dead = message["state"]?.text == "dead"
        let actions = dead && session.token.role.allows(.operator) ? deadLetterActions(id, session: session) : ""
        let lease = message["leased_by"].map { node in
            " Being delivered by node <a href=\"/nodes\">\(e(node.text))</a>, its lease until \(e(message["lease_expires_at"]?.text ?? ""))."
        } ?? ""
        return layout(
            "Message \(id)", session: session,
            body: """
                <p>Integration <a href="/integrations/\(e(message["integration"]?.text ?? ""))">\(e(message["integration"]?.text ?? ""))</a>, state \(e(message["state"]?.text ?? "")), \(e(message["attempts"]?.text ?? "0")) attempt(s).\(lease)</p>
                \(actions)
                <h2>Payload</h2><pre class="wrap">\(e(prettyPayload(message["payload"]?.text ?? "")))</pre>
                <h2>History</h2>
                <table><tr><th>At</th><th>Event</th><th>Attempt</th><th>Status</th><th>Duration</th><th>Revision</th><th>By</th><th>Detail</th></tr>\(history)</table>
                """)
    }

    /// The nodes sharing the store (`/api/v1/nodes`), live ones first.
    static func nodes(_ nodes: JSONValue, session: Dashboard.Session) -> String {
        let rows = nodes.arrayValues.sorted { ($0["alive"]?.text == "true" ? 0 : 1) < ($1["alive"]?.text == "true" ? 0 : 1) }.map { node in
            let alive = node["alive"]?.text == "true"
            let duties = (node["duties"]?.arrayValues ?? []).map { e($0.text) }.joined(separator: ", ")
            return
                "<tr><td>\(e(node["id"]?.text ?? ""))</td><td>\(e(node["host"]?.text ?? "")) (pid \(e(node["pid"]?.text ?? "")))</td><td>\(e(node["version"]?.text ?? ""))</td><td>\(e(node["started_at"]?.text ?? ""))</td><td>\(e(node["last_heartbeat"]?.text ?? ""))</td><td class=\"\(alive ? "ok" : "error")\">\(alive ? "alive" : "stopped heartbeating")</td><td>\(e(node["messages_in_flight"]?.text ?? "0"))</td><td>\(duties.isEmpty ? "none" : duties)</td></tr>"
        }.joined()
        return layout(
            "Nodes", session: session, refresh: true,
            body: """
                <p>The hub processes sharing this store. A node that stops heartbeating has its messages taken over by the others; the duties (housekeeping, alerts, each polled source) are held by one node at a time.</p>
                <table><tr><th>Node</th><th>Host</th><th>Version</th><th>Started</th><th>Last heartbeat</th><th>State</th><th>Messages in flight</th><th>Duties</th></tr>\(rows.isEmpty ? "<tr><td colspan=\"8\">None: this store is not shared by nodes.</td></tr>" : rows)</table>
                """)
    }

    /// A JSON payload indented, two spaces a level; anything else as it is.
    static func prettyPayload(_ text: String) -> String {
        (try? JSONValue(json: Array(text.utf8)))?.pretty() ?? text
    }

    static func deadLetterActions(_ id: String, session: Dashboard.Session) -> String {
        """
        <form method="post" action="/dead-letters/replay" style="display:inline">\(csrf(session))<input type="hidden" name="id" value="\(e(id))"><button name="replay" value="\(e(id))">Replay</button></form>
        <form method="post" action="/dead-letters/discard" style="display:inline">\(csrf(session))<input type="hidden" name="id" value="\(e(id))"><input name="reason" placeholder="reason" size="16"><button>Discard</button></form>
        """
    }

    /// The dead-letter page's filter: one integration (nil: all) and a text the last error holds.
    struct DeadLetterFilter {
        var integration: String?
        var error: String
        /// Every integration, for the choice.
        var integrations: [String]
        /// Dead letters of the integration before the error filter.
        var total: Int
    }

    static func deadLetters(_ messages: JSONValue, session: Dashboard.Session, filter: DeadLetterFilter, notice: String?) -> String {
        let operatorRole = session.token.role.allows(.operator)
        let choices = [("", "all integrations")] + filter.integrations.map { ($0, $0) }
        let options = choices.map { value, label in
            "<option value=\"\(e(value))\"\(value == (filter.integration ?? "") ? " selected" : "")>\(e(label))</option>"
        }.joined()
        let filterForm = """
            <form method="get" action="/dead-letters" class="filters"><label>Integration <select name="integration">\(options)</select></label>
            <label>Error contains <input name="error" value="\(e(filter.error))" size="24"></label> <button>Filter</button></form>
            """
        let rows = messages.arrayValues.map { message in
            let id = message["id"]?.text ?? ""
            let select = operatorRole ? "<td><input type=\"checkbox\" name=\"id\" value=\"\(e(id))\" aria-label=\"select \(e(id))\"></td>" : ""
            return
                "<tr>\(select)<td><a href=\"/messages/\(e(id))\">\(e(id))</a></td><td>\(e(message["received_at"]?.text ?? ""))</td><td>\(e(message["integration"]?.text ?? ""))</td><td>\(e(message["attempts"]?.text ?? ""))</td><td>\(e(message["last_status"]?.text ?? ""))</td><td class=\"wrap\">\(e(String((message["last_error"]?.text ?? "").prefix(300))))</td></tr>"
        }.joined()
        let shown = messages.arrayValues.count
        let count = "<p>\(shown) of \(filter.total) dead letter\(filter.total == 1 ? "" : "s")\(filter.integration.map { " of \(e($0))" } ?? "").</p>"
        let table =
            "<table><tr>\(operatorRole ? "<th>Select</th>" : "")<th>Id</th><th>Received</th><th>Integration</th><th>Attempts</th><th>Last status</th><th>Last error</th></tr>\(rows)</table>"
        // One form around the table: the buttons act on the rows ticked.
        let body =
            operatorRole && shown > 0
            ? """
            <form method="post" action="/dead-letters/replay">\(csrf(session))\(table)
            <button>Replay selected</button> <button formaction="/dead-letters/discard">Discard selected</button>
            <label>Reason for a discard <input name="reason" size="24"></label></form>
            """ : table
        return layout(
            "Dead letters", session: session, refresh: notice == nil,
            body: (notice.map { "<p class=\"ok\" role=\"status\">\(e($0))</p>" } ?? "") + filterForm
                + (shown == 0 ? "<p class=\"ok\">No dead letters\(filter.total > 0 ? " match the filter" : "").</p>" : count + body))
    }

    /// The audit page's filter, as typed.
    struct AuditFilterForm {
        var integration: String
        var message: String
        var actor: String
        var kind: String
        /// Lease records shown too.
        var all: Bool
    }

    static func audit(_ records: JSONValue, session: Dashboard.Session, filter: AuditFilterForm) -> String {
        let kinds = [""] + AuditRecord.Kind.allCases.map(\.rawValue)
        let options = kinds.map { kind in
            "<option value=\"\(e(kind))\"\(kind == filter.kind ? " selected" : "")>\(kind.isEmpty ? "every kind" : e(kind))</option>"
        }.joined()
        let form = """
            <form method="get" action="/audit" class="filters"><label>Integration <input name="integration" value="\(e(filter.integration))" size="14"></label>
            <label>Message <input name="message" value="\(e(filter.message))" size="26"></label>
            <label>By <input name="actor" value="\(e(filter.actor))" size="14"></label>
            <label>Kind <select name="kind">\(options)</select></label>
            <label><input type="checkbox" name="all" value="1"\(filter.all ? " checked" : "")> with leases</label> <button>Filter</button></form>
            <p>Newest first, at most 200\(filter.all || filter.kind == "leased" ? "" : "; each claim's lease record is left out unless asked for").</p>
            """
        let rows = records.arrayValues.map { record in
            let messageID = record["message_id"]?.text ?? ""
            let link = messageID.isEmpty ? "" : "<a href=\"/messages/\(e(messageID))\">\(e(messageID))</a>"
            return
                "<tr><td>\(e(record["at"]?.text ?? ""))</td><td>\(e(record["event"]?.text ?? ""))</td><td>\(e(record["integration"]?.text ?? ""))</td><td>\(link)</td><td>\(e(record["actor"]?.text ?? ""))</td><td class=\"wrap\">\(e(String((record["detail"]?.text ?? "").prefix(300))))</td></tr>"
        }.joined()
        return layout(
            "Audit log", session: session,
            body: form + "<table><tr><th>At</th><th>Event</th><th>Integration</th><th>Message</th><th>By</th><th>Detail</th></tr>\(rows)</table>")
    }
}
