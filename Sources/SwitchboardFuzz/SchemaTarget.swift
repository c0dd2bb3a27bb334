import DataverseEmulatorCore
import Foundation

extension FuzzTarget {
    /// The emulator's schema file (`SchemaReader.read`, `switchboard emulate dataverse --schema`),
    /// and, when it is valid, the `$metadata` document built from the names it declares.
    static let schema = FuzzTarget(name: "schema", summary: "SchemaReader.read, and $metadata of the schema read", maxLength: 16_384) { bytes in
        guard let schema = try? SchemaReader.read(FuzzInput.text(bytes), file: "schema.yaml") else { return }
        EmulatorFixture.send(WebAPI(store: RecordStore(schema: schema)), "GET", "$metadata")
    }
}
