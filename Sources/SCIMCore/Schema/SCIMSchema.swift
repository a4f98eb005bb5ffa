import OrderedCollections

/// A schema (RFC 7643 §7): a URN id and its attribute definitions.
public struct SCIMSchema: Sendable, Hashable, Identifiable {
    public static let schemaURN = "urn:ietf:params:scim:schemas:core:2.0:Schema"

    public var id: String
    public var name: String
    public var description: String
    public var attributes: [SCIMAttribute]

    public init(id: String, name: String, description: String = "", attributes: [SCIMAttribute]) {
        self.id = id
        self.name = name
        self.description = description
        self.attributes = attributes
    }

    /// The top-level attribute named `name`, ignoring letter case.
    public func attribute(named name: String) -> SCIMAttribute? {
        attributes.first { $0.name.caseInsensitiveEquals(name) }
    }

    public init(json: JSONValue) throws(SchemaLoadError) {
        guard let id = json["id"]?.stringValue, !id.isEmpty else { throw SchemaLoadError("a schema has no id") }
        guard let list = json["attributes"]?.arrayValue else { throw SchemaLoadError("schema \(id) has no attributes") }
        var attributes: [SCIMAttribute] = []
        for element in list {
            let attribute = try SCIMAttribute(json: element)
            if attributes.contains(where: { $0.name.caseInsensitiveEquals(attribute.name) }) {
                throw SchemaLoadError("schema \(id) defines \(attribute.name) twice")
            }
            attributes.append(attribute)
        }
        self.init(
            id: id,
            name: json["name"]?.stringValue ?? "",
            description: json["description"]?.stringValue ?? "",
            attributes: attributes
        )
    }

    /// The `/Schemas/{id}` representation; `meta` added when a location is given.
    public func json(location: String? = nil) -> JSONValue {
        var o = OrderedDictionary<String, JSONValue>()
        o["schemas"] = [.string(Self.schemaURN)]
        o["id"] = .string(id)
        o["name"] = .string(name)
        o["description"] = .string(description)
        o["attributes"] = .array(attributes.map(\.json))
        if let location {
            o["meta"] = ["resourceType": "Schema", "location": .string(location)]
        }
        return .object(o)
    }
}
