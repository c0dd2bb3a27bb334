import Crypto
import Foundation
import SwitchboardModel

/// SHA-256 in lower-case hex, for token hashes and workspace revisions.
public enum Digest {
    public static func sha256Hex(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).hexDigits
    }
}
