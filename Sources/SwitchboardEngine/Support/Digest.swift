import Crypto
import Foundation

/// SHA-256 in lower-case hex, for token hashes and workspace revisions.
public enum Digest {
    public static func sha256Hex(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
