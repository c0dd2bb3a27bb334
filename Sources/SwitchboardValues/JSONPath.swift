/// A path into a message body: `$` is the whole body, `$.order.id` a field, `$.lines[0].sku` an element.
///
/// The small grammar is deliberate: it covers copying fields, and a richer expression language can
/// replace it later behind the same `ValueExpression` interface in the engine.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public let components: [Component]
    public let description: String

    /// Parses `$`, `$.a.b`, `$.a[2].b`; returns nil for anything else.
    public init?(_ text: String) {
        guard text.hasPrefix("$") else { return nil }
        var components: [Component] = []
        var rest = Substring(text.dropFirst())
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { return nil }
                components.append(.key(String(name)))
                rest = rest.dropFirst(name.count)
            } else if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<close] as Substring), index >= 0
                else { return nil }
                components.append(.index(index))
                rest = rest[rest.index(after: close)...]
            } else {
                return nil
            }
        }
        self.components = components
        self.description = text
    }

    /// The value at this path, or nil when any step along it is missing.
    public func value(in root: JSONValue) -> JSONValue? {
        var current = root
        for component in components {
            switch (component, current) {
            case (.key(let key), .object(let object)):
                guard let next = object[key] else { return nil }
                current = next
            case (.index(let index), .array(let array)):
                guard index < array.count else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }
}

extension JSONValue {
    /// Sets a value at a dotted output path such as `customer.name`, creating objects on the way.
    /// An OData annotation is one field, dots and all: `customerid@odata.bind`, `@odata.type`.
    public mutating func set(_ value: JSONValue, atDottedPath path: some StringProtocol) {
        // An annotation's `@` comes before any dot that would nest: the whole rest is one field.
        let isAnnotation = path.firstIndex(of: "@").map { at in path.firstIndex(of: ".").map { at < $0 } ?? true } ?? false
        let parts = isAnnotation ? [path[...]] : path.split(separator: ".", maxSplits: 1)
        guard let first = parts.first else { return }
        let head = String(first)
        var object: [String: JSONValue]
        if case .object(let existing) = self { object = existing } else { object = [:] }
        if parts.count == 2 {
            var child = object[head] ?? .object([:])
            child.set(value, atDottedPath: parts[1])
            object[head] = child
        } else {
            object[head] = value
        }
        self = .object(object)
    }
}
