/// The emulators' shared tokens, application users and certificates, under this module's name
/// as before they moved to a target of their own.
@_exported import EmulatorSecurity
