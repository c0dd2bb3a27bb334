import Foundation

/// A workspace: `switchboard.yaml` and `integrations/*.yaml`, loaded and checked together.
public struct Workspace: Sendable {
    public var root: URL
    public var landscape: Landscape
    public var integrations: [Integration]
    /// The environment whose connections and secrets were resolved.
    public var environment: String
    /// The connector kinds it was read with; the governance commands read kinds through it.
    public var registry: ConnectorRegistry

    public func integration(_ id: String) -> Integration? { integrations.first { $0.id == id } }

    /// The active environment's connection of a system.
    public func connection(of systemID: String) -> Connection? {
        landscape.system(systemID)?.connections[environment]
    }

    /// Loads and validates a workspace, reporting every problem at once.
    ///
    /// - Parameters:
    ///   - directory: The workspace root.
    ///   - registry: The connector kinds systems, sources and targets may use.
    ///   - environment: The environment to resolve connections and secrets for; default the first declared.
    ///   - variables: Values for `${env:NAME}` references; default the process environment.
    ///   - resolvingSecrets: False reads the workspace without its secrets: a reference that
    ///     cannot be resolved is not a problem (`check`, `plan`). Default true.
    /// - Throws: `WorkspaceError` with a diagnostic per problem, each naming file, line and column.
    public static func load(
        directory: URL,
        registry: ConnectorRegistry,
        environment: String? = nil,
        variables: [String: String] = ProcessInfo.processInfo.environment,
        resolvingSecrets: Bool = true
    ) throws(WorkspaceError) -> Workspace {
        let sink = DiagnosticSink()
        let resolver = SecretResolver(environment: variables, baseDirectory: directory, lenient: !resolvingSecrets)
        let landscapeFile = "switchboard.yaml"
        guard let landscapeRoot = readYAML(directory.appendingPathComponent(landscapeFile), name: landscapeFile, sink: sink) else {
            throw WorkspaceError(diagnostics: sink.diagnostics)
        }
        var reader = LandscapeReader(registry: registry, resolver: resolver, sink: sink)
        let landscape = reader.read(landscapeRoot, environment: environment)
        let active = environment ?? landscape.environments.first ?? "default"

        var integrations: [Integration] = []
        for name in integrationFiles(in: directory) {
            let file = "integrations/\(name)"
            guard let root = readYAML(directory.appendingPathComponent(file), name: file, sink: sink) else { continue }
            let reader = IntegrationReader(registry: registry, landscape: landscape, environment: active, resolver: resolver, sink: sink)
            if let integration = reader.read(root) { integrations.append(integration) }
        }
        crossCheck(integrations, landscape: landscape, environment: active, sink: sink)
        if !sink.diagnostics.isEmpty {
            throw WorkspaceError(
                diagnostics: sink.diagnostics.sorted {
                    ($0.location.file, $0.location.line, $0.location.column) < ($1.location.file, $1.location.line, $1.location.column)
                })
        }
        return Workspace(root: directory, landscape: landscape, integrations: integrations, environment: active, registry: registry)
    }

    /// The store settings alone, for commands that only read the store (`messages`, `dlq`, `audit`):
    /// they work while other parts of the workspace have problems or secrets are not set.
    public static func storeSettings(directory: URL) throws(WorkspaceError) -> StoreSettings {
        let sink = DiagnosticSink()
        guard let root = readYAML(directory.appendingPathComponent("switchboard.yaml"), name: "switchboard.yaml", sink: sink) else {
            throw WorkspaceError(diagnostics: sink.diagnostics)
        }
        let reader = LandscapeReader(
            registry: ConnectorRegistry([]), resolver: SecretResolver(environment: [:], baseDirectory: directory), sink: sink)
        guard let store = root.mapping()?["store"]?.mapping() else { return StoreSettings() }
        let settings = reader.readStore(store)
        if !sink.diagnostics.isEmpty { throw WorkspaceError(diagnostics: sink.diagnostics) }
        return settings
    }

    static func integrationFiles(in directory: URL) -> [String] {
        let folder = directory.appendingPathComponent("integrations")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    }

    private static func readYAML(_ url: URL, name: String, sink: DiagnosticSink) -> YAMLValue? {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            sink.report(
                SourceLocation(file: name, line: 1, column: 1), "\(name) cannot be read; `switchboard init DIR` writes a workspace to start from")
            return nil
        }
        return YAMLValue.document(String(decoding: data, as: UTF8.self), file: name, sink: sink)
    }

    /// Checks that span files: duplicate ids and webhook paths, unknown systems and goals.
    private static func crossCheck(_ integrations: [Integration], landscape: Landscape, environment: String, sink: DiagnosticSink) {
        var ids: [String: String] = [:]
        var paths: [String: String] = [:]
        for integration in integrations {
            let here = SourceLocation(file: integration.file, line: 1, column: 1)
            if let other = ids[integration.id] {
                sink.report(here, "integration id '\(integration.id)' is already used by \(other)")
            }
            ids[integration.id] = integration.file
            guard let path = integration.source.webhook?.path else { continue }
            if let other = paths[path] {
                sink.report(here, "source.webhook.path '\(path)' is already used by \(other)")
            }
            paths[path] = integration.file
        }
    }
}
