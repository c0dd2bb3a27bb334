import Foundation

/// A workspace written for a test or a benchmark: `switchboard.yaml` from its systems and
/// settings, one file per integration, and any other file (secrets). Replaces YAML typed out in
/// every test; the helpers write the shapes most tests need and take YAML for the rest.
///
/// ```swift
/// var fixture = WorkspaceFixture()
/// fixture.systems = [WorkspaceFixture.system("shop", kind: "http"), WorkspaceFixture.system("erp", kind: "http", connection: ["base_url: http://127.0.0.1:9090"])]
/// fixture.integrations["orders"] = WorkspaceFixture.integration("orders", source: WorkspaceFixture.webhook(system: "shop", path: "/hooks/orders"),
///                                                               target: "{ system: erp, http: { method: POST, path: /orders } }")
/// let directory = try fixture.write()
/// ```
public struct WorkspaceFixture: Sendable {
    /// `environments:`; nil leaves it out (one environment, `default`).
    public var environments: [String]?
    /// The body of `server: { ... }`, such as `host: 127.0.0.1, port: 0`; nil leaves it out.
    public var server: String?
    /// Each system, as `system(...)` writes it or as YAML of a list item without the dash.
    public var systems: [String] = []
    /// More of `switchboard.yaml` at its top level (`alerts:`, `principles:`, `store:`).
    public var landscapeExtra: String = ""
    /// Integration files by id (`integrations/ID.yaml`).
    public var integrations: [String: String] = [:]
    /// Other files by path relative to the workspace (`secrets/dataverse`).
    public var files: [String: String] = [:]

    public init() {}

    /// A system: `{ id, kind, location }`, with its `default` connection's fields (one per line,
    /// such as `base_url: http://127.0.0.1:9090`) and its limits (the body of `limits: { ... }`) when given.
    public static func system(_ id: String, kind: String, location: String = "cloud", connection: [String]? = nil, limits: String? = nil) -> String {
        var lines = ["id: \(id)", "kind: \(kind)", "location: \(location)"]
        if let connection {
            lines += ["connections:", "  default:"] + connection.map { "    " + $0 }
        }
        if let limits { lines.append("limits: { \(limits) }") }
        return lines.joined(separator: "\n")
    }

    /// `source:` receiving a webhook at `path` (`auth` a flow mapping, `format` json by default).
    public static func webhook(system: String, path: String, auth: String = "{ kind: none }", format: String? = nil) -> String {
        "{ system: \(system), webhook: { path: \(path)\(format.map { ", format: \($0)" } ?? ""), auth: \(auth) } }"
    }

    /// An integration file: `source` and `target` as flow mappings or blocks, `steps` one step a
    /// line (`- map: {...}` without the dash), `delivery` the body of `delivery: { ... }`.
    public static func integration(
        _ id: String, title: String? = nil, source: String, steps: [String] = [], target: String, delivery: String? = nil
    ) -> String {
        var lines = ["id: \(id)", "title: \(title ?? id)", "source: " + indented(source)]
        lines.append(steps.isEmpty ? "steps: []" : "steps:\n" + steps.map { "  - " + $0 }.joined(separator: "\n"))
        lines.append("target: " + indented(target))
        if let delivery { lines.append("delivery: { \(delivery) }") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A block value after a key: its lines indented under it; a flow value stays on the line.
    static func indented(_ value: String) -> String {
        value.contains("\n") ? "\n" + value.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") : value
    }

    /// The text of `switchboard.yaml`.
    public var landscapeYAML: String {
        var lines = ["version: 1"]
        if let environments { lines.append("environments: [\(environments.joined(separator: ", "))]") }
        if let server { lines.append("server: { \(server) }") }
        lines.append("systems:")
        for system in systems {
            let parts = system.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append("  - " + parts[0])
            lines += parts.dropFirst().map { "    " + $0 }
        }
        if !landscapeExtra.isEmpty { lines.append(landscapeExtra) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the workspace into `directory`.
    public func write(to directory: TemporaryDirectory) throws {
        try directory.write("switchboard.yaml", landscapeYAML)
        for (id, text) in integrations { try directory.write("integrations/\(id).yaml", text) }
        for (path, text) in files { try directory.write(path, text) }
    }

    /// Writes the workspace into a fresh temporary folder and returns it.
    public func write() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try write(to: directory)
        return directory
    }
}
