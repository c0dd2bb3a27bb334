// How bytes and text are written where only some characters may stand: percent-encoding for
// URLs and forms, hex for digests and ids.

extension String {
    /// The text with every byte outside RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`)
    /// percent-encoded: right for a URL's path segment, a query value and a form value alike.
    public var percentEncoded: String {
        let hex = Array("0123456789ABCDEF".unicodeScalars)
        var output = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                output.unicodeScalars.append("%")
                output.unicodeScalars.append(hex[Int(byte >> 4)])
                output.unicodeScalars.append(hex[Int(byte & 15)])
            }
        }
        return output
    }
}

extension Sequence<UInt8> {
    /// The bytes as lower-case hex, two digits each (`0a1b…`): digests, signatures, random ids.
    /// By table, not `String(format:)` per byte, which costs more than a SHA-256 of a webhook.
    public var hexDigits: String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 15)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
