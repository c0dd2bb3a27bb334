import SwitchboardValues

extension FuzzTarget {
    /// `JSONValue(parsing:)`, which reads every inbound webhook body and every stored payload.
    /// A value it accepts must read back as the same value from both of its written forms, as
    /// `serialized()` promises.
    static let json = FuzzTarget(
        name: "json", summary: "JSONValue(parsing:), and a value read back from serialized() and pretty()", maxLength: 4_096
    ) { bytes in
        guard let value = try? JSONValue(parsing: bytes) else { return }
        let compact = value.serialized()
        precondition((try? JSONValue(parsing: compact)) == value, "serialized() reads back as another value: \(FuzzInput.text(compact))")
        let pretty = value.pretty()
        precondition((try? JSONValue(parsing: Array(pretty.utf8))) == value, "pretty() reads back as another value: \(pretty)")
        _ = value.text
        _ = value.kindName
    }
}
