import SwitchboardModel

/// `kind: files`: a folder or file share that files are dropped into or picked up from. Declared
/// for the catalog, `check`, `plan` and `impact`; the hub does not read or write it yet.
public struct FilesKind: ConnectorKind {
    public init() {}

    public let spec = ConnectorSpec(
        kind: "files", title: "Files",
        summary: "A folder or file share for file drops: declared in the landscape; no connector yet.",
        description:
            "A system of this kind appears in the catalog, the landscape diagram and the review; integrations cannot yet read from it or deliver to it.",
        usualLocation: .onPremises)
}
