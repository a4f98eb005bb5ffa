public import Foundation

/// Schemas and resource types, loaded once at start-up and served as-is by `/Schemas`
/// and `/ResourceTypes`.
public struct SchemaRegistry: Sendable {
    /// Schemas in serving order: each resource type's core schema and extensions in turn,
    /// then any schema no resource type uses.
    public let schemas: [SCIMSchema]
    public let resourceTypes: [SCIMResourceType]
    private let resolvedTypes: [ResolvedResourceType]

    /// Checks that every schema a resource type names exists and that ids are unique.
    public init(schemas: [SCIMSchema], resourceTypes: [SCIMResourceType]) throws(SchemaLoadError) {
        var byID: [String: SCIMSchema] = [:]
        for schema in schemas {
            guard byID.updateValue(schema, forKey: schema.id.lowercased()) == nil else {
                throw SchemaLoadError("schema \(schema.id) is defined twice")
            }
        }
        var ordered: [SCIMSchema] = []
        var resolved: [ResolvedResourceType] = []
        var seenTypes = Set<String>()
        for type in resourceTypes {
            guard seenTypes.insert(type.name.lowercased()).inserted, seenTypes.insert("id:" + type.id.lowercased()).inserted else {
                throw SchemaLoadError("resource type \(type.name) is defined twice")
            }
            guard let core = byID[type.schema.lowercased()] else {
                throw SchemaLoadError("resource type \(type.name) names unknown schema \(type.schema)")
            }
            var extensions: [ResolvedResourceType.Extension] = []
            for ext in type.schemaExtensions {
                guard let schema = byID[ext.schema.lowercased()] else {
                    throw SchemaLoadError("resource type \(type.name) names unknown extension \(ext.schema)")
                }
                extensions.append(.init(schema: schema, required: ext.required))
            }
            resolved.append(ResolvedResourceType(resourceType: type, coreSchema: core, extensions: extensions))
            for schema in [core] + extensions.map(\.schema) where !ordered.contains(where: { $0.id == schema.id }) {
                ordered.append(schema)
            }
        }
        for schema in schemas where !ordered.contains(where: { $0.id == schema.id }) {
            ordered.append(schema)
        }
        self.schemas = ordered
        self.resourceTypes = resourceTypes
        self.resolvedTypes = resolved
    }

    /// Reads every `*.json` file in `directory`. A file holds one schema, one resource type,
    /// or an array of either; resource types are told apart by their `endpoint` member.
    public static func load(directory: URL) throws(SchemaLoadError) -> SchemaRegistry {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw SchemaLoadError("cannot list \(directory.path)")
        }
        var schemas: [SCIMSchema] = []
        var types: [SCIMResourceType] = []
        for name in names.sorted() where name.lowercased().hasSuffix(".json") {
            let url = directory.appendingPathComponent(name)
            let json: JSONValue
            do {
                let data = try Data(contentsOf: url)
                json = try JSONValue.parse(data, maxDepth: 64, maxBytes: 16 << 20)
            } catch let error as SCIMError {
                throw SchemaLoadError("\(name): \(error.detail)")
            } catch {
                throw SchemaLoadError("cannot read \(name)")
            }
            for document in json.arrayValue ?? [json] {
                do throws(SchemaLoadError) {
                    if document["endpoint"] != nil {
                        types.append(try SCIMResourceType(json: document))
                    } else {
                        schemas.append(try SCIMSchema(json: document))
                    }
                } catch {
                    throw SchemaLoadError("\(name): \(error.message)")
                }
            }
        }
        return try SchemaRegistry(schemas: schemas, resourceTypes: types)
    }

    // MARK: Lookup

    public func schema(id: String) -> SCIMSchema? {
        schemas.first { $0.id.caseInsensitiveEquals(id) }
    }

    /// By resource type name (`User`) or id, ignoring case.
    public func resourceType(named name: String) -> ResolvedResourceType? {
        resolvedTypes.first { $0.resourceType.name.caseInsensitiveEquals(name) }
            ?? resolvedTypes.first { $0.resourceType.id.caseInsensitiveEquals(name) }
    }

    /// By endpoint, with or without the leading slash (`/Users`, `Users`), ignoring case.
    public func resourceType(endpoint: String) -> ResolvedResourceType? {
        let wanted = endpoint.hasPrefix("/") ? endpoint : "/" + endpoint
        return resolvedTypes.first { $0.resourceType.endpoint.caseInsensitiveEquals(wanted) }
    }

    public var resolvedResourceTypes: [ResolvedResourceType] { resolvedTypes }

    // MARK: Discovery documents

    /// `/Schemas/{id}` with `meta.location`; `baseURL` without a trailing slash is fine.
    public func schemaJSON(id: String, baseURL: String) -> JSONValue? {
        schema(id: id).map { $0.json(location: Self.join(baseURL, "Schemas", $0.id)) }
    }

    /// Every schema, as the `Resources` of the `/Schemas` list response.
    public func schemasJSON(baseURL: String) -> [JSONValue] {
        schemas.map { $0.json(location: Self.join(baseURL, "Schemas", $0.id)) }
    }

    public func resourceTypeJSON(id: String, baseURL: String) -> JSONValue? {
        guard let type = resourceTypes.first(where: { $0.id.caseInsensitiveEquals(id) || $0.name.caseInsensitiveEquals(id) })
        else { return nil }
        return type.json(location: Self.join(baseURL, "ResourceTypes", type.id))
    }

    /// Every resource type, as the `Resources` of the `/ResourceTypes` list response.
    public func resourceTypesJSON(baseURL: String) -> [JSONValue] {
        resourceTypes.map { $0.json(location: Self.join(baseURL, "ResourceTypes", $0.id)) }
    }

    static func join(_ base: String, _ collection: String, _ id: String) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + collection + "/" + id
    }
}

extension SchemaRegistry {
    /// A copy holding only what `keeps` accepts: `keeps(schemaID, attribute, nil)` for a top-level attribute and
    /// `keeps(schemaID, attribute, sub)` for each sub-attribute of a kept complex one. Extensions left without
    /// attributes are dropped from the resource types. Used to advertise what a backend really stores.
    public func restricted(keeping keeps: (String, String, String?) -> Bool) throws(SchemaLoadError) -> SchemaRegistry {
        var kept: [SCIMSchema] = []
        for schema in schemas {
            var copy = schema
            copy.attributes = schema.attributes.compactMap { attribute in
                guard keeps(schema.id, attribute.name, nil) else { return nil }
                var out = attribute
                out.subAttributes = attribute.subAttributes.filter { keeps(schema.id, attribute.name, $0.name) }
                return out
            }
            kept.append(copy)
        }
        let types = resourceTypes.map { type in
            var copy = type
            copy.schemaExtensions = type.schemaExtensions.filter { ext in
                kept.contains { $0.id.caseInsensitiveEquals(ext.schema) && !$0.attributes.isEmpty }
            }
            return copy
        }
        let used = Set(types.flatMap { [$0.schema.lowercased()] + $0.schemaExtensions.map { $0.schema.lowercased() } })
        return try SchemaRegistry(schemas: kept.filter { used.contains($0.id.lowercased()) }, resourceTypes: types)
    }
}
