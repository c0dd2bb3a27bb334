// The value types every user of the model works with (JSON documents, paths, YAML with
// positions, diagnostics) live in SwitchboardValues, which the Dataverse emulator shares
// without depending on the model.
@_exported import SwitchboardValues
