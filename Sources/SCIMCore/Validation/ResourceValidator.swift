import OrderedCollections

/// Checks a POST/PUT body against a resource type and returns it in canonical form:
/// attribute names spelled as in the schema, `schemas` first, then `externalId`, core
/// attributes in schema order, extension objects last.
///
/// - readOnly attributes and sub-attributes (id, meta, groups, members.display) are dropped;
/// - `null` and empty arrays are dropped (RFC 7643 §2.5: unassigned);
/// - booleans may arrive as `"True"`/`"False"` (Entra); a complex attribute with a `value`
///   sub-attribute may arrive as a bare string (Entra's `manager`);
/// - wrong types, missing required attributes, more than one `primary`, and more than
///   `maxValuesPerAttribute` values are 400 `invalidValue` naming the attribute (a required extension only when
///   a client can write something in it);
/// - a missing or wrong `schemas`, and attributes the schemas do not define, are 400
///   `invalidSyntax` (the body "did not conform to the request schema", RFC 7644 §3.12).
///   Unknown sub-attributes inside complex values are ignored, as Entra sends extras there.
public struct ResourceValidator: Sendable {
    public enum UnknownAttributePolicy: Sendable, Hashable {
        case reject, ignore
    }

    public var type: ResolvedResourceType
    public var maxValuesPerAttribute: Int
    public var unknownAttributes: UnknownAttributePolicy

    public init(type: ResolvedResourceType, maxValuesPerAttribute: Int = 1000, unknownAttributes: UnknownAttributePolicy = .reject) {
        self.type = type
        self.maxValuesPerAttribute = maxValuesPerAttribute
        self.unknownAttributes = unknownAttributes
    }

    public func validate(_ body: JSONValue) throws(SCIMError) -> JSONValue {
        guard case .object(let members) = body else {
            throw SCIMError.invalidSyntax("The resource must be a JSON object.")
        }
        var declared = try declaredSchemas(body["schemas"])
        let values = AttributeValueValidator(maxValues: maxValuesPerAttribute)

        var core: [String: JSONValue] = [:]
        var extensions: [String: OrderedDictionary<String, JSONValue>] = [:]
        var seen = Set<String>()
        for (key, value) in members {
            guard seen.insert(key.lowercased()).inserted else {
                throw SCIMError.invalidSyntax("The attribute \"\(key.prefix(200))\" appears more than once.")
            }
            if key.caseInsensitiveEquals("schemas") { continue }
            if let ext = type.extensionSchema(urn: key) {
                guard !value.isNull else { continue }
                guard case .object(let extMembers) = value else {
                    throw SCIMError.invalidValue("The extension \"\(ext.id)\" must be a JSON object.")
                }
                extensions[ext.id] = try validateMembers(extMembers, schema: ext, prefix: ext.id + ":", values: values)
                if !declared.contains(ext.id) { declared.append(ext.id) }
                continue
            }
            guard let definition = CommonAttributes.attribute(named: key) ?? type.coreSchema.attribute(named: key) else {
                if unknownAttributes == .ignore { continue }
                throw SCIMError.invalidSyntax("Unknown attribute \"\(key.prefix(200))\".")
            }
            guard definition.mutability != .readOnly else { continue }
            if let v = try values.validate(value, definition: definition, path: definition.name) {
                core[definition.name] = v
            }
        }

        try checkRequired(type.coreSchema, present: Set(core.keys), prefix: "")
        for ext in type.extensions {
            if let present = extensions[ext.schema.id] {
                try checkRequired(ext.schema, present: Set(present.keys), prefix: ext.schema.id + ":")
            } else if ext.required, ext.schema.attributes.contains(where: { $0.mutability != .readOnly }) {
                // A required extension whose every attribute is readOnly is the server's to fill (RFC 7643 §7:
                // readOnly values are computed by the service provider), never the client's to send.
                throw SCIMError.invalidValue("The extension \"\(ext.schema.id)\" is required.")
            }
        }

        var out = OrderedDictionary<String, JSONValue>()
        let schemaOrder = type.schemas.map(\.id).filter { declared.contains($0) }
        out["schemas"] = .array(schemaOrder.map(JSONValue.string))
        if let externalId = core[CommonAttributes.externalId.name] { out[CommonAttributes.externalId.name] = externalId }
        for attribute in type.coreSchema.attributes {
            if let v = core[attribute.name] { out[attribute.name] = v }
        }
        for ext in type.extensions {
            if let members = extensions[ext.schema.id], !members.isEmpty { out[ext.schema.id] = .object(members) }
        }
        return .object(out)
    }

    /// The `schemas` member: must list the core schema; may list this type's extensions.
    private func declaredSchemas(_ value: JSONValue?) throws(SCIMError) -> [String] {
        let core = type.coreSchema.id
        guard let value, !value.isNull else {
            throw SCIMError.invalidSyntax("\"schemas\" is missing; it must contain \"\(core)\".")
        }
        let list = value.arrayValue ?? [value]
        var declared: [String] = []
        for element in list {
            guard let urn = element.stringValue else { throw SCIMError.invalidSyntax("\"schemas\" must hold strings.") }
            guard let schema = type.schema(urn: urn) else {
                throw SCIMError.invalidSyntax("The schema \"\(urn.prefix(200))\" is not part of \(type.resourceType.name).")
            }
            if !declared.contains(schema.id) { declared.append(schema.id) }
        }
        guard declared.contains(core) else {
            throw SCIMError.invalidSyntax("\"schemas\" must contain \"\(core)\".")
        }
        return declared
    }

    private func validateMembers(
        _ members: OrderedDictionary<String, JSONValue>, schema: SCIMSchema, prefix: String, values: AttributeValueValidator
    ) throws(SCIMError) -> OrderedDictionary<String, JSONValue> {
        var found: [String: JSONValue] = [:]
        var seen = Set<String>()
        for (key, value) in members {
            guard seen.insert(key.lowercased()).inserted else {
                throw SCIMError.invalidSyntax("The attribute \"\(prefix)\(key.prefix(200))\" appears more than once.")
            }
            guard let definition = schema.attribute(named: key) else {
                if unknownAttributes == .ignore { continue }
                throw SCIMError.invalidSyntax("Unknown attribute \"\(prefix)\(key.prefix(200))\".")
            }
            guard definition.mutability != .readOnly else { continue }
            if let v = try values.validate(value, definition: definition, path: prefix + definition.name) {
                found[definition.name] = v
            }
        }
        var out = OrderedDictionary<String, JSONValue>()
        for attribute in schema.attributes {
            if let v = found[attribute.name] { out[attribute.name] = v }
        }
        return out
    }

    private func checkRequired(_ schema: SCIMSchema, present: Set<String>, prefix: String) throws(SCIMError) {
        for attribute in schema.attributes where attribute.required && attribute.mutability != .readOnly {
            guard present.contains(attribute.name) else {
                throw SCIMError.invalidValue("The attribute \"\(prefix)\(attribute.name)\" is required.")
            }
        }
    }
}
