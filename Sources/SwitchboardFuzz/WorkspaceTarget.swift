import Foundation
import SwitchboardModel

extension FuzzTarget {
    /// The workspace reader, from the files' text (`Workspace.read`, which `Workspace.load` calls
    /// once it has read the files): the input's first part is `switchboard.yaml`, each part after
    /// a `#%%` line an integration file. A first line `# check` reads it without its secrets, as
    /// `check` and `plan` do.
    ///
    /// `${file:PATH}` references are kept from reading this machine's files (a fuzzer could write
    /// `${file:/dev/zero}`): each `${file:` of the input is pointed below a folder that does not
    /// exist, so it is a reference that cannot be resolved, which the reader reports. (One spelt
    /// with YAML escapes, `"\x24{file:...}"`, is not rewritten; an input that reads a device
    /// would end as a timeout or out of memory, with the input kept, not pass unseen.)
    static let workspace = FuzzTarget(
        name: "workspace", summary: "Workspace.read: switchboard.yaml and integration files, with stand-in connector kinds", maxLength: 8_192
    ) { bytes in
        let text = FuzzInput.text(bytes).replacingOccurrences(of: "${file:", with: "${file:fuzz-")
        let parts = FuzzInput.parts(text)
        let integrations = parts.dropFirst().enumerated().map { index, part in (file: "integrations/part\(index + 1).yaml", text: Optional(part)) }
        _ = try? Workspace.read(
            landscape: parts[0], integrations: integrations, directory: URL(fileURLWithPath: "/nonexistent-switchboard-fuzz-workspace"),
            registry: StandInKind.registry, variables: ["TOKEN": "s3cret", "EMPTY": "", "BASE": "https://erp.example.com"],
            resolvingSecrets: !parts[0].hasPrefix("# check\n"))
    }
}
