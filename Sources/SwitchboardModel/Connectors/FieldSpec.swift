/// One field of a connector's configuration, as its spec declares it: the same declaration drives
/// reading the workspace (unknown names, required fields, types, defaults) and the generated
/// reference (`switchboard connectors KIND`, docs/connectors.md).
public struct FieldSpec: Sendable {
    /// The value's type, as the reference names it.
    public indirect enum ValueType: Sendable {
        case string
        case integer
        case number
        case boolean
        /// `250ms`, `30s`, `5m`, `1h`, `7d`.
        case duration
        /// A path into the message, such as `$.order.id`.
        case path
        /// A `${env:NAME}` or `${file:PATH}` reference, resolved for the active environment only;
        /// a value written inline is refused (SB190).
        case secret
        /// An `http://` or `https://` URL, which may hold references.
        case url
        /// Header names to values; a credential header must be a reference.
        case headers
        /// One of the listed words.
        case choice([String])
        /// A list of text values.
        case stringList
        /// Names (columns) to paths in the message.
        case pathMap
        /// A mapping with fields of its own.
        case object([FieldSpec])
        /// A list of mappings with fields of their own.
        case objectList([FieldSpec])

        /// The type in words for the reference.
        public var name: String {
            switch self {
            case .string: "text"
            case .integer: "whole number"
            case .number: "number"
            case .boolean: "true or false"
            case .duration: "duration"
            case .path: "path"
            case .secret: "secret reference"
            case .url: "URL"
            case .headers: "headers"
            case .choice(let words): words.map { "`\($0)`" }.joined(separator: " | ")
            case .stringList: "list of text"
            case .pathMap: "column: path"
            case .object: "mapping"
            case .objectList: "list of mappings"
            }
        }
    }

    public var name: String
    public var type: ValueType
    /// Reported as missing when absent. Fields required only in some cases say so in `doc` and
    /// are checked by the kind's reader.
    public var required: Bool
    /// The value used when the field is absent, as the user would write it; nil: none.
    public var defaultValue: String?
    /// One sentence for the reference.
    public var doc: String
    /// A value as a user would write it.
    public var example: String?

    public init(_ name: String, _ type: ValueType, required: Bool = false, default defaultValue: String? = nil, doc: String, example: String? = nil) {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.doc = doc
        self.example = example
    }

    /// True for a field whose value is a credential.
    public var isSecret: Bool {
        if case .secret = type { return true }
        return false
    }

    /// The fields of an object or object list; empty otherwise.
    public var children: [FieldSpec] {
        switch type {
        case .object(let fields), .objectList(let fields): fields
        default: []
        }
    }
}
