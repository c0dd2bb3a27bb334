/// `$metadata`: the CSDL document declaring the entity types, enums and the container of entity
/// sets, in the namespace `Microsoft.Dynamics.DataEntities` with the container `Resources`, as
/// the service names them.
enum ServiceMetadata {
    static func document(_ schema: EntitySchema) -> String {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
            <edmx:DataServices>
            <Schema Namespace="\(EntitySchema.namespace)" xmlns="http://docs.oasis-open.org/odata/ns/edm">

            """
        for entity in schema.entities {
            xml += "<EntityType Name=\"\(escaped(entity.name))\">\n<Key>\n"
            for name in entity.key { xml += "<PropertyRef Name=\"\(escaped(name))\" />\n" }
            xml += "</Key>\n"
            for field in entity.fields {
                var attributes = "Name=\"\(escaped(field.name))\" Type=\"\(escaped(field.type.edmType))\""
                if entity.key.contains(field.name) || field.mandatory { attributes += " Nullable=\"false\"" }
                if case .string(let length) = field.type { attributes += " MaxLength=\"\(length)\"" }
                if case .real = field.type { attributes += " Precision=\"32\" Scale=\"6\"" }
                xml += "<Property \(attributes) />\n"
            }
            for navigation in entity.navigations {
                guard let target = schema.entity(set: navigation.set) else { continue }
                let type = "\(EntitySchema.namespace).\(target.name)"
                xml += "<NavigationProperty Name=\"\(escaped(navigation.name))\" Type=\"\(navigation.many ? "Collection(\(escaped(type)))" : escaped(type))\" />\n"
            }
            xml += "</EntityType>\n"
        }
        for (name, members) in schema.enums.sorted(by: { $0.key < $1.key }) {
            xml += "<EnumType Name=\"\(escaped(name))\">\n"
            for (value, member) in members.enumerated() { xml += "<Member Name=\"\(escaped(member))\" Value=\"\(value)\" />\n" }
            xml += "</EnumType>\n"
        }
        xml += "<EntityContainer Name=\"Resources\">\n"
        for entity in schema.entities {
            xml += "<EntitySet Name=\"\(escaped(entity.setName))\" EntityType=\"\(EntitySchema.namespace).\(escaped(entity.name))\" />\n"
        }
        xml += "</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"
        return xml
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
