import Foundation

/// A connector kind as the workspace reader and the governance commands see it: its spec and the
/// readers that turn its fields into typed settings. The kind's runtime (the connector that
/// sends, the feed that polls) adds to it in `SwitchboardEngine` (`ConnectorRuntime`).
///
/// Each reader reports problems as `file:line:column` sentences to the fields' sink and returns
/// nil when the value cannot be used; a reader never throws and never stops the load.
package protocol ConnectorKind: Sendable {
    var spec: ConnectorSpec { get }

    /// Reads one environment's connection of a system of this kind.
    func readConnection(_ fields: ConfigFields, context: ReadContext) -> (any ConnectionSettings)?

    /// The limits a system of this kind is held to: `declared` as the workspace wrote them, with
    /// the kind's defaults for what it left out. `windowGiven`: the workspace set `window`;
    /// `adaptive`: what it set for `adaptive`, nil when nothing.
    func limits(declared: SystemLimits, windowGiven: Bool, adaptive: Bool?) -> SystemLimits

    /// Reads `target.KIND` of an integration delivering to a system of this kind.
    func readTarget(_ fields: ConfigFields, context: ReadContext) -> (any TargetSettings)?

    /// Reads `source.KEY` for one of the spec's polled sources.
    func readSource(_ key: String, _ fields: ConfigFields, context: ReadContext) -> (any SourceSettings)?

    /// What `plan` needs to know of a connection: identities, records per request, and the
    /// service's documented limits for `window` with where they are written.
    func planning(of connection: (any ConnectionSettings)?, window: Duration) -> PlanningFacts

    /// The limits the hub enforces for one connection: `limits` times the users it signs in as,
    /// and how much longer than the target's window the hub counts. Default: the limits as
    /// declared, and `SystemLimits.margin`.
    func enforcedLimits(_ limits: SystemLimits, connection: (any ConnectionSettings)?) -> (limits: SystemLimits, margin: Duration)

    /// Messages of an integration in flight at once when it does not say (`delivery.concurrency`).
    func defaultConcurrency(connection: (any ConnectionSettings)?) -> Int
}

/// What `plan` needs to know of one connection of a kind.
public struct PlanningFacts: Sendable {
    /// Identities the hub signs in as, each with the kind's full limits. Default 1.
    public var users: Int = 1
    /// Records sent in one request. Default 1.
    public var batchSize: Int = 1
    /// True when adding identities adds limits, so `plan` says how many would fit.
    public var limitsPerUser: Bool = false
    /// The service's documented limits for the window; nil: none documented.
    public var documented: SystemLimits?
    /// Where the documented limits are written, in words with the page.
    public var documentedSource: String = ""
    /// True when the daily entitlement counts every operation inside a batch, not requests.
    public var entitlementCountsOperations: Bool = false
    /// Where the documented daily entitlement is written.
    public var entitlementSource: String = ""
    /// The identities by name (Dataverse client ids), in order; empty when not named.
    public var userIDs: [String] = []

    public init() {}
}

extension ConnectorKind {
    package func readConnection(_ fields: ConfigFields, context: ReadContext) -> (any ConnectionSettings)? { nil }

    package func limits(declared: SystemLimits, windowGiven: Bool, adaptive: Bool?) -> SystemLimits {
        var limits = declared
        if adaptive == true, let maximum = limits.maxConcurrent { limits.adaptiveStart = min(4, maximum) }
        return limits
    }

    package func readTarget(_ fields: ConfigFields, context: ReadContext) -> (any TargetSettings)? { nil }
    package func readSource(_ key: String, _ fields: ConfigFields, context: ReadContext) -> (any SourceSettings)? { nil }
    package func planning(of connection: (any ConnectionSettings)?, window: Duration) -> PlanningFacts { PlanningFacts() }
    package func enforcedLimits(_ limits: SystemLimits, connection: (any ConnectionSettings)?) -> (limits: SystemLimits, margin: Duration) {
        (limits, limits.margin)
    }
    package func defaultConcurrency(connection: (any ConnectionSettings)?) -> Int { 16 }
}

/// What a kind's reader may need besides its fields.
package struct ReadContext {
    /// Resolves `${env:...}` and `${file:...}` references.
    package var resolver: SecretResolver
    /// True for the active environment's connection (and for integrations): references are
    /// resolved; false for other environments, whose references are only checked for form.
    package var resolveSecrets: Bool
    /// The workspace folder, for relative file paths.
    package var root: URL { resolver.baseDirectory }
    /// The system the fields belong to, and its connection in the active environment (for targets and sources).
    package var system: String?
    package var connection: Connection?

    package init(resolver: SecretResolver, resolveSecrets: Bool, system: String? = nil, connection: Connection? = nil) {
        self.resolver = resolver
        self.resolveSecrets = resolveSecrets
        self.system = system
        self.connection = connection
    }

    /// A secret field: it must be a reference (SB190), resolved only when `resolveSecrets`.
    /// `requireValue`: an empty resolved value is a problem (unless the resolver is lenient).
    package func secret(_ field: YAMLValue?, requireValue: Bool = false) -> Secret? {
        guard let field, let text = field.string() else { return nil }
        guard SecretResolver.containsReference(text) else {
            field.report("\(field.path) holds a secret written inline; write a reference such as ${env:NAME} or ${file:PATH} instead", rule: "SB190")
            // Read on as a redacted secret, so a review sees the rest; the value goes nowhere.
            return Secret(value: "", reference: Secret.redacted)
        }
        let resolved = resolveSecrets ? resolver.resolve(text, reportingTo: field) : text
        if requireValue, resolveSecrets, resolved.isEmpty, !resolver.lenient { field.report("\(field.path) resolves to an empty secret") }
        return Secret(value: resolved, reference: text)
    }

    /// A URL field that may hold references: resolved when `resolveSecrets`, then it must start
    /// with `http://` or `https://`.
    package func url(_ field: YAMLValue?) -> String? {
        guard let field, let written = field.string() else { return nil }
        let text = rejectInlineQuerySecrets(written, at: field)
        guard resolveSecrets else { return text }
        let resolved = resolver.resolve(text, reportingTo: field)
        if !(resolved.hasPrefix("http://") || resolved.hasPrefix("https://")) {
            field.report("\(field.path) must start with http:// or https://")
        }
        return resolved
    }

    /// A headers field: a credential header must be a reference (SB190); values resolved when `resolveSecrets`.
    package func headers(_ field: YAMLValue?) -> [String: String] {
        var headers: [String: String] = [:]
        for entry in field?.mapping()?.entries ?? [] {
            guard let text = entry.value.string() else { continue }
            if SecretResolver.isSensitiveHeader(entry.key) && !SecretResolver.containsReference(text) {
                entry.value.report(
                    "\(entry.value.path) holds a secret written inline; write a reference such as ${env:NAME} or ${file:PATH} instead", rule: "SB190")
                headers[entry.key] = Secret.redacted
                continue
            }
            headers[entry.key] = resolveSecrets ? resolver.resolve(text, reportingTo: entry.value) : text
        }
        return headers
    }

    /// Reports a query parameter that carries a credential written inline (`?api_key=abc123`),
    /// SB190; a reference (`?api_key=${env:KEY}`) is fine.
    /// Returns the text with such values redacted, so no output shows them.
    @discardableResult
    package func rejectInlineQuerySecrets(_ text: String, at field: YAMLValue) -> String {
        let (clean, names) = SecretResolver.redactingQueryCredentials(text) { value in
            value.isEmpty || SecretResolver.containsReference(value) || value.hasPrefix("{")
        }
        for name in names {
            field.report(
                "\(field.path) holds a secret written inline in its query string (\(name)); write a reference such as ${env:NAME} instead",
                rule: "SB190")
        }
        return clean
    }

    /// A file path relative to the workspace made absolute.
    package func absolutePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : root.appendingPathComponent(path).path
    }
}
