import SwitchboardModel
import SwitchboardValues

extension FuzzTarget {
    /// The scalar readers of workspace files: durations (`Duration.parse`, `250ms` to `7d`), the
    /// whole numbers that sizes are written as (`max_body_bytes`, `payload_bytes`: there is no
    /// unit syntax for sizes), numbers and booleans as YAML types them, paths (`$.lines[0].sku`)
    /// and OData key literals of each column type.
    static let scalars = FuzzTarget(
        name: "scalars", summary: "Duration.parse, sizes and numbers as YAML scalars, JSONPath, ODataLiteral", maxLength: 256
    ) { bytes in
        let text = FuzzInput.text(bytes)
        if let duration = Duration.parse(text) {
            precondition(duration >= .zero && duration <= .longestParsed, "Duration.parse('\(text)') is outside 0...longestParsed")
            _ = duration.milliseconds
            _ = duration.spoken
        }
        let sink = DiagnosticSink()
        if let value = YAMLValue.document(text, file: "value.yaml", sink: sink) {
            _ = value.int(min: 0)
            _ = value.int(min: 1)
            _ = value.double()
            _ = value.bool()
            _ = value.duration()?.spoken
            _ = value.json().text
        }
        if let path = JSONPath(text) {
            _ = path.value(in: .object(["order": .object(["id": .int(1), "lines": .array([.object(["sku": .string("A-1")])])])]))
        }
        let kinds: [ODataLiteral.Kind?] = [nil, .text, .guid, .integer, .decimal, .boolean, .dateTime]
        for kind in kinds {
            _ = try? ODataLiteral.literal(.string(text), as: kind)
        }
    }
}
