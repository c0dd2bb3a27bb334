import Foundation
import SwitchboardValues

/// A record's key as a URL writes it: `CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')`,
/// its parts in any order; `('US-001')` for an entity whose key is one field. Text is quoted with
/// a doubled quote inside (`'O''Brien'`), numbers are bare (`LineNumber=7`, `LineNumber=1.0`).
///
/// "All fields in the entity key must be provided" (https://learn.microsoft.com/en-us/dynamics365/fin-ops-core/dev-itpro/data-entities/odata).
public struct EntityKey: Sendable, Hashable {
    /// Each key field's value, by field name.
    public var values: [String: JSONValue]

    /// Parses the text between the parentheses (already percent-decoded) against the entity's key.
    public static func parse(_ text: String, for entity: EntityType) throws(ServiceError) -> EntityKey {
        var scanner = Scanner(Array(text))
        var values: [String: JSONValue] = [:]
        if scanner.peek == "'" || scanner.peek?.isNumber == true || scanner.peek == "-" {
            guard entity.key.count == 1 else {
                throw .badRequest("The key of \(entity.setName) has \(entity.key.count) parts (\(entity.key.joined(separator: ", "))); name each one, as in \(example(entity)).")
            }
            values[entity.key[0]] = try scanner.literal()
            guard scanner.atEnd else { throw .badRequest("Unexpected '\(scanner.rest)' after the key of \(entity.setName).") }
            return EntityKey(values: values)
        }
        while true {
            let name = scanner.name()
            guard !name.isEmpty, scanner.take("=") else { throw .badRequest("The key '\(text)' of \(entity.setName) is not written as name=value, as in \(example(entity)).") }
            guard entity.key.contains(name) else {
                throw .badRequest("'\(name)' is not part of the key of \(entity.setName) (\(entity.key.joined(separator: ", "))).")
            }
            guard values[name] == nil else { throw .badRequest("The key of \(entity.setName) names \(name) twice.") }
            values[name] = try scanner.literal()
            if scanner.atEnd { break }
            guard scanner.take(",") else { throw .badRequest("',' expected in the key of \(entity.setName) before '\(scanner.rest)'.") }
        }
        let missing = entity.key.filter { values[$0] == nil }
        guard missing.isEmpty else {
            throw .badRequest("The key of \(entity.setName) lacks \(missing.joined(separator: ", ")); all fields in the entity key must be provided.")
        }
        return EntityKey(values: values)
    }

    /// How the service writes this key in `@odata.id` and `Location`: `dataAreaId` first, then
    /// the entity's key fields in order.
    public func segment(for entity: EntityType) -> String {
        let parts = entity.key.map { name -> String in
            let value = values[name] ?? .null
            switch value {
            case .string(let text): return "\(name)='\(text.replacingOccurrences(of: "'", with: "''"))'"
            default: return "\(name)=\(value.text)"
            }
        }
        return "(" + parts.joined(separator: ",") + ")"
    }

    static func example(_ entity: EntityType) -> String {
        entity.setName + "(" + entity.key.map { $0 == EntitySchema.company ? "\($0)='usmf'" : "\($0)=…" }.joined(separator: ",") + ")"
    }

    private struct Scanner {
        let text: [Character]
        var index = 0
        init(_ text: [Character]) { self.text = text }

        var peek: Character? { index < text.count ? text[index] : nil }
        var atEnd: Bool { index >= text.count }
        var rest: String { String(text[index...].prefix(40)) }

        mutating func take(_ character: Character) -> Bool {
            guard peek == character else { return false }
            index += 1
            return true
        }

        mutating func name() -> String {
            let start = index
            while let character = peek, character.isLetter || character.isNumber || character == "_" { index += 1 }
            return String(text[start..<index])
        }

        mutating func literal() throws(ServiceError) -> JSONValue {
            if take("'") {
                var value = ""
                while let character = peek {
                    index += 1
                    if character == "'" {
                        if take("'") { value.append("'"); continue }
                        return .string(value)
                    }
                    value.append(character)
                }
                throw .badRequest("A text value in the key is not closed with a quote.")
            }
            let start = index
            while let character = peek, character != "," { index += 1 }
            let word = String(text[start..<index])
            if let number = Int64(word) { return .int(number) }
            if let number = Double(word), word.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?/) != nil { return .double(number) }
            throw .badRequest("'\(word.prefix(40))' in the key is neither quoted text nor a number.")
        }
    }
}
