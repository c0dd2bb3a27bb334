import Foundation
import Yams

/// A JSON document held as a value: message bodies after decoding, constants in steps, test inputs.
///
/// Integers and fractions are kept apart so that `1` is written back as `1`, not `1.0`; an integer
/// too large for 64 bits keeps its digits, so an order number of 30 digits passes through exactly.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer outside `Int64`'s range, as its digits (with a leading `-` when negative): carried
    /// and written back exactly, never rounded to the nearest `Double`.
    case largeInteger(String)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes JSON bytes; throws `ParseError` when they are not valid JSON.
    public init(json bytes: some Collection<UInt8>) throws {
        try self.init(parsing: bytes)
    }

    public var jsonString: String { String(decoding: serialized(), as: UTF8.self) }

    /// The value as text, the way it is spliced into a URL, a header or a concatenation.
    public var text: String {
        switch self {
        case .null: return ""
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .largeInteger(let digits): return digits
        case .double(let value): return value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let value): return value
        case .array, .object: return jsonString
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// Converts a YAML node: plain scalars are typed as YAML 1.2 core schema types, quoted ones stay text.
    public init(yaml node: Node) {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { self = .string(scalar.string); return }
            if node.null != nil {
                self = .null
            } else if let bool = node.bool {
                self = .bool(bool)
            } else if let int = Int64(scalar.string) {
                self = .int(int)
            } else if scalar.string.wholeMatch(of: /-?[1-9][0-9]*/) != nil {
                self = .largeInteger(scalar.string)
            } else if let double = node.float, scalar.string.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                self = .double(double)
            } else {
                self = .string(scalar.string)
            }
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = JSONValue(yaml: value) }
            self = .object(object)
        case .sequence(let sequence):
            self = .array(sequence.map { JSONValue(yaml: $0) })
        case .alias:
            self = .null
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .largeInteger(let digits): try container.encode(Decimal(string: digits) ?? 0)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
