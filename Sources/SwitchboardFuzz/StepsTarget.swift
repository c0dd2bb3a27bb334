import SwitchboardEngine
import SwitchboardModel
import SwitchboardValues

extension FuzzTarget {
    /// Steps on random documents: the input's first part is YAML of a `steps:` list, read by
    /// `StepReader` as an integration file's steps are; the part after a `#%%` line is a JSON
    /// document (`{}` when there is none or it is not JSON), which the steps run on as the
    /// dispatcher runs them (`Pipeline.run`: map expressions, filter conditions and their reasons).
    static let steps = FuzzTarget(name: "steps", summary: "StepReader's steps, run by Pipeline on a JSON document", maxLength: 4_096) { bytes in
        let parts = FuzzInput.parts(FuzzInput.text(bytes))
        let sink = DiagnosticSink()
        guard let list = YAMLValue.document(parts[0], file: "steps.yaml", sink: sink)?.sequence() else { return }
        let definitions = list.compactMap(StepReader.readStep)
        let document = parts.count > 1 ? (try? JSONValue(parsing: Array(parts[1].utf8))) ?? .object([:]) : .object([:])
        _ = try? Pipeline(definitions).run(document)
    }
}
