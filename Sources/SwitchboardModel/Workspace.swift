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
        let integrations = integrationFiles(in: directory).map { name in
            let file = "integrations/\(name)"
            return (file: file, text: text(of: directory.appendingPathComponent(file)))
        }
        return try read(
            landscape: text(of: directory.appendingPathComponent(landscapeFile)), integrations: integrations, directory: directory,
            registry: registry, environment: environment, variables: variables, resolvingSecrets: resolvingSecrets)
    }

    /// Reads and validates a workspace from the text of its files, exactly as `load` does once it
    /// has read them; `load` is this with the files of `directory`. The fuzz target `workspace`
    /// reads its inputs here, so no file is written per input.
    ///
    /// - Parameters:
    ///   - landscape: The text of `switchboard.yaml`; nil: it cannot be read.
    ///   - integrations: Each integration file's name (`integrations/orders.yaml`) and text, nil
    ///     when it cannot be read, in the order `load` reads them (by name).
    ///   - directory: The workspace root: `${file:PATH}` references and TLS files are read
    ///     relative to it.
    ///   - Others: as for `load`.
    /// - Throws: `WorkspaceError` with a diagnostic per problem, each naming file, line and column.
    package static func read(
        landscape: String?,
        integrations: [(file: String, text: String?)],
        directory: URL,
        registry: ConnectorRegistry,
        environment: String? = nil,
        variables: [String: String],
        resolvingSecrets: Bool = true
    ) throws(WorkspaceError) -> Workspace {
        let (workspace, problems) = readAll(
            landscape: landscape, integrations: integrations, directory: directory, registry: registry, environment: environment,
            variables: variables, resolvingSecrets: resolvingSecrets)
        guard let workspace, problems.isEmpty else { throw WorkspaceError(diagnostics: problems) }
        return workspace
    }

    /// Reads a workspace for a review (`check`, `plan`, `docs`, `impact`), without its secrets:
    /// every problem, and as much of the workspace as reads despite them, so one bad line does not
    /// hide the rest. A secret written inline reads as redacted (`Secret.redacted`) and an
    /// integration that cannot be read is left out; the workspace is nil only when
    /// `switchboard.yaml` itself is not a YAML document.
    public static func loadForReview(
        directory: URL, registry: ConnectorRegistry, environment: String? = nil
    ) -> (workspace: Workspace?, problems: [Diagnostic]) {
        let integrations = integrationFiles(in: directory).map { name in
            let file = "integrations/\(name)"
            return (file: file, text: text(of: directory.appendingPathComponent(file)))
        }
        return readAll(
            landscape: text(of: directory.appendingPathComponent(landscapeFile)), integrations: integrations, directory: directory,
            registry: registry, environment: environment, variables: ProcessInfo.processInfo.environment, resolvingSecrets: false)
    }

    /// The workspace as far as it reads, and every problem, sorted by place.
    private static func readAll(
        landscape: String?, integrations: [(file: String, text: String?)], directory: URL, registry: ConnectorRegistry, environment: String?,
        variables: [String: String], resolvingSecrets: Bool
    ) -> (workspace: Workspace?, problems: [Diagnostic]) {
        let sink = DiagnosticSink()
        let resolver = SecretResolver(environment: variables, baseDirectory: directory, lenient: !resolvingSecrets)
        guard let landscapeRoot = document(landscape, name: landscapeFile, sink: sink) else {
            return (nil, sink.diagnostics)
        }
        var reader = LandscapeReader(registry: registry, resolver: resolver, sink: sink)
        let landscape = reader.read(landscapeRoot, environment: environment)
        let active = environment ?? landscape.environments.first ?? "default"

        var integrationList: [Integration] = []
        for (file, text) in integrations {
            guard let root = document(text, name: file, sink: sink) else { continue }
            let reader = IntegrationReader(registry: registry, landscape: landscape, environment: active, resolver: resolver, sink: sink)
            if let integration = reader.read(root) { integrationList.append(integration) }
        }
        crossCheck(integrationList, landscape: landscape, environment: active, sink: sink)
        let problems = sink.diagnostics.sorted {
            ($0.location.file, $0.location.line, $0.location.column) < ($1.location.file, $1.location.line, $1.location.column)
        }
        return (Workspace(root: directory, landscape: landscape, integrations: integrationList, environment: active, registry: registry), problems)
    }

    /// The store settings alone, for commands that only read the store (`messages`, `dlq`, `audit`):
    /// they work while other parts of the workspace have problems or secrets are not set.
    /// - Parameter environment: What `${env:NAME}` in `store.url` reads. Default the process's.
    public static func storeSettings(
        directory: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(WorkspaceError) -> StoreSettings {
        let sink = DiagnosticSink()
        guard let root = document(text(of: directory.appendingPathComponent(landscapeFile)), name: landscapeFile, sink: sink) else {
            throw WorkspaceError(diagnostics: sink.diagnostics)
        }
        let reader = LandscapeReader(
            registry: ConnectorRegistry([]), resolver: SecretResolver(environment: environment, baseDirectory: directory), sink: sink)
        guard let store = root.mapping()?["store"]?.mapping() else { return StoreSettings() }
        let settings = reader.readStore(store)
        if !sink.diagnostics.isEmpty { throw WorkspaceError(diagnostics: sink.diagnostics) }
        return settings
    }

    package static func integrationFiles(in directory: URL) -> [String] {
        let folder = directory.appendingPathComponent("integrations")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    }

    package static let landscapeFile = "switchboard.yaml"

    /// A file's text; nil when it cannot be read.
    private static func text(of url: URL) -> String? {
        FileManager.default.contents(atPath: url.path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The YAML document of a file's text, or nil with a diagnostic when it cannot be read (nil
    /// text), is empty or is not YAML.
    private static func document(_ text: String?, name: String, sink: DiagnosticSink) -> YAMLValue? {
        guard let text else {
            sink.report(
                SourceLocation(file: name, line: 1, column: 1), "\(name) cannot be read; `switchboard init DIR` writes a workspace to start from")
            return nil
        }
        return YAMLValue.document(text, file: name, sink: sink)
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
