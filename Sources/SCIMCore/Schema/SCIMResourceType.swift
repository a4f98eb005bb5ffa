import OrderedCollections

/// A resource type (RFC 7643 §6).
public struct SCIMResourceType: Sendable, Hashable, Identifiable {
    public static let schemaURN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"

    public struct SchemaExtension: Sendable, Hashable {
        public var schema: String
        public var required: Bool
        public init(schema: String, required: Bool) {
            self.schema = schema
            self.required = required
        }
    }

    public var id: String
    public var name: String
    /// The endpoint path relative to the base URL, e.g. `/Users`.
    public var endpoint: String
    public var description: String
    /// The core schema URN.
    public var schema: String
    public var schemaExtensions: [SchemaExtension]

    public init(
        id: String, name: String, endpoint: String, description: String = "",
        schema: String, schemaExtensions: [SchemaExtension] = []
    ) {
        self.id = id
        self.name = name
        self.endpoint = endpoint
        self.description = description
        self.schema = schema
        self.schemaExtensions = schemaExtensions
    }

    public init(json: JSONValue) throws(SchemaLoadError) {
        guard let name = json["name"]?.stringValue, !name.isEmpty else {
            throw SchemaLoadError("a resource type has no name")
        }
        guard let endpoint = json["endpoint"]?.stringValue, endpoint.hasPrefix("/") else {
            throw SchemaLoadError("resource type \(name) has no endpoint starting with /")
        }
        guard let schema = json["schema"]?.stringValue else {
            throw SchemaLoadError("resource type \(name) has no schema")
        }
        var extensions: [SchemaExtension] = []
        for element in json["schemaExtensions"]?.arrayValue ?? [] {
            guard let urn = element["schema"]?.stringValue else {
                throw SchemaLoadError("resource type \(name): an extension has no schema")
            }
            extensions.append(SchemaExtension(schema: urn, required: element["required"]?.boolValue ?? false))
        }
        self.init(
            id: json["id"]?.stringValue ?? name,
            name: name,
            endpoint: endpoint,
            description: json["description"]?.stringValue ?? "",
            schema: schema,
            schemaExtensions: extensions
        )
    }

    /// The `/ResourceTypes/{id}` representation; `meta` added when a location is given.
    public func json(location: String? = nil) -> JSONValue {
        var o = OrderedDictionary<String, JSONValue>()
        o["schemas"] = [.string(Self.schemaURN)]
        o["id"] = .string(id)
        o["name"] = .string(name)
        o["endpoint"] = .string(endpoint)
        o["description"] = .string(description)
        o["schema"] = .string(schema)
        if !schemaExtensions.isEmpty {
            o["schemaExtensions"] = .array(
                schemaExtensions.map {
                    ["schema": .string($0.schema), "required": .bool($0.required)]
                })
        }
        if let location {
            o["meta"] = ["resourceType": "ResourceType", "location": .string(location)]
        }
        return .object(o)
    }
}
