/// The version of this build of Switchboard, as `switchboard --version` prints it.
public enum SwitchboardVersion {
    public static let current = "0.6.0"
}
