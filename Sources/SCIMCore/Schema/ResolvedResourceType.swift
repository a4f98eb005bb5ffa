/// A resource type with its schemas looked up: what paths, filters, projections and
/// validation are checked against.
public struct ResolvedResourceType: Sendable, Hashable {
    public struct Extension: Sendable, Hashable {
        public var schema: SCIMSchema
        public var required: Bool

        public init(schema: SCIMSchema, required: Bool) {
            self.schema = schema
            self.required = required
        }
    }

    public var resourceType: SCIMResourceType
    public var coreSchema: SCIMSchema {
        didSet { defaultReturn = DefaultReturnTable(coreSchema: coreSchema, extensions: extensions.map(\.schema)) }
    }
    public var extensions: [Extension] {
        didSet { defaultReturn = DefaultReturnTable(coreSchema: coreSchema, extensions: extensions.map(\.schema)) }
    }
    /// What the default projection returns of each attribute (kept in step with the schemas).
    public private(set) var defaultReturn: DefaultReturnTable

    public init(resourceType: SCIMResourceType, coreSchema: SCIMSchema, extensions: [Extension]) {
        self.resourceType = resourceType
        self.coreSchema = coreSchema
        self.extensions = extensions
        defaultReturn = DefaultReturnTable(coreSchema: coreSchema, extensions: extensions.map(\.schema))
    }

    /// Core schema first, then extensions.
    public var schemas: [SCIMSchema] { [coreSchema] + extensions.map(\.schema) }

    /// The schema of this type whose id equals `urn` ignoring case.
    public func schema(urn: String) -> SCIMSchema? {
        schemas.first { $0.id.caseInsensitiveEquals(urn) }
    }

    /// The extension schema whose id equals `urn` ignoring case.
    public func extensionSchema(urn: String) -> SCIMSchema? {
        extensions.first { $0.schema.id.caseInsensitiveEquals(urn) }?.schema
    }

    /// A top-level attribute: a common attribute, or one of the schema `urn` (the core
    /// schema when nil). Returns the definition and the schema id it belongs to (nil for
    /// common attributes and the core schema).
    public func attribute(named name: String, schemaURN urn: String?) -> (attribute: SCIMAttribute, extensionURN: String?)? {
        if let urn, !urn.caseInsensitiveEquals(coreSchema.id) {
            guard let ext = extensionSchema(urn: urn), let a = ext.attribute(named: name) else { return nil }
            return (a, ext.id)
        }
        if let common = CommonAttributes.attribute(named: name) { return (common, nil) }
        guard let a = coreSchema.attribute(named: name) else { return nil }
        return (a, nil)
    }

    /// The definition a resolved path ends at: the sub-attribute when the path names one.
    public func definition(of path: AttributePath) -> SCIMAttribute? {
        guard let top = attribute(named: path.attribute, schemaURN: path.schemaURN)?.attribute else { return nil }
        guard let sub = path.subAttribute else { return top }
        return top.subAttribute(named: sub)
    }
}
