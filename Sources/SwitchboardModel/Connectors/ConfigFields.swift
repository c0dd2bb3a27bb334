/// A mapping from a workspace file read against a connector's field specs: unknown names and
/// missing required fields are reported once, when it is made; each accessor reads its field with
/// the spec's type and reports a mistyped value at its `file:line:column`.
package struct ConfigFields {
    package let mapping: YAMLMapping
    package let specs: [FieldSpec]

    /// Nil, with a diagnostic, when `value` is not a mapping.
    package init?(_ value: YAMLValue, specs: [FieldSpec]) {
        guard let mapping = value.mapping() else { return nil }
        self.init(mapping, specs: specs)
    }

    package init(_ mapping: YAMLMapping, specs: [FieldSpec]) {
        self.mapping = mapping
        self.specs = specs
        mapping.rejectUnknownKeys(Set(specs.map(\.name)))
        for spec in specs where spec.required && mapping[spec.name] == nil {
            _ = mapping.required(spec.name)
        }
    }

    package var path: String { mapping.path }
    package var value: YAMLValue { mapping.value }
    package var location: SourceLocation { mapping.location }

    /// The field's YAML value, or nil when absent.
    package subscript(_ name: String) -> YAMLValue? { mapping[name] }

    package func string(_ name: String) -> String? { mapping[name]?.string() }
    package func int(_ name: String, min: Int? = nil) -> Int? { mapping[name]?.int(min: min) }
    package func double(_ name: String) -> Double? { mapping[name]?.double() }
    package func bool(_ name: String) -> Bool? { mapping[name]?.bool() }
    package func duration(_ name: String) -> Duration? { mapping[name]?.duration() }
    package func stringList(_ name: String) -> [String]? { mapping[name]?.stringList() }
    package func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) -> T? where T.RawValue == String {
        mapping[name]?.choice(type)
    }

    /// A mapping field read against its own specs (those of the field's `.object` type).
    package func object(_ name: String) -> ConfigFields? {
        guard let field = mapping[name] else { return nil }
        return ConfigFields(field, specs: specs.first { $0.name == name }?.children ?? [])
    }

    /// Each item of a list field, read against the specs of the field's `.objectList` type.
    package func objects(_ name: String) -> [ConfigFields] {
        let children = specs.first { $0.name == name }?.children ?? []
        return (mapping[name]?.sequence() ?? []).compactMap { ConfigFields($0, specs: children) }
    }
}
