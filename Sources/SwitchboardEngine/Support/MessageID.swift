/// Message ids: 26 characters of Crockford base32, 48 bits of milliseconds then 80 random bits
/// (the ULID layout), so ids sort by arrival time and never collide in practice.
public enum MessageID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    public static func make(now: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(now: now, using: &generator)
    }

    public static func make(now: Int64, using generator: inout some RandomNumberGenerator) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let time = UInt64(max(0, now))
        for index in 0..<6 { bytes[index] = UInt8((time >> (8 * (5 - index))) & 0xFF) }
        let random = generator.next() as UInt64
        let random2 = generator.next() as UInt64
        for index in 0..<8 { bytes[6 + index] = UInt8((random >> (8 * index)) & 0xFF) }
        for index in 0..<2 { bytes[14 + index] = UInt8((random2 >> (8 * index)) & 0xFF) }
        // 128 bits as 26 base32 digits: the first digit carries the top 3 bits.
        var output = [UInt8](repeating: 0, count: 26)
        var value = (high: UInt64(0), low: UInt64(0))
        for index in 0..<8 { value.high = value.high << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { value.low = value.low << 8 | UInt64(bytes[index]) }
        for index in (0..<26).reversed() {
            output[index] = alphabet[Int(value.low & 31)]
            value.low = value.low >> 5 | (value.high & 31) << 59
            value.high >>= 5
        }
        return String(decoding: output, as: UTF8.self)
    }
}
