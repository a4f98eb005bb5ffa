import HTTPTypes
import Foundation
import Hummingbird
import Logging
import OrderedCollections
import SCIMCore

/// /ServiceProviderConfig, /ResourceTypes and /Schemas, served from the schema registry (schema/scim/*.json),
/// limited to the resource types the active mapping serves. Each feature is advertised only when it works.
struct DiscoveryController {
    let registry: SchemaRegistry
    let configuration: SCIMServerConfiguration
    let servedTypes: [ResolvedResourceType]

    func register(on group: RouterGroup<SCIMRequestContext>) {
        // Discovery is read-only: other methods are 405, not 404 (RFC 7644 §4).
        for path in ["ServiceProviderConfig", "ResourceTypes", "ResourceTypes/:id", "Schemas", "Schemas/:id"] {
            for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
                group.on(RouterPath(path), method: method) { _, _ -> Response in throw SCIMError.methodNotAllowed() }
            }
        }
        group.get("ServiceProviderConfig") { _, _ in
            let sort = await configuration.features.sortSupported?() ?? configuration.features.sort
            return SCIMResponse.json(serviceProviderConfig(sort: sort))
        }
        group.get("ResourceTypes") { _, _ in
            let resources = servedTypes.compactMap { documents.resourceTypeJSON(id: $0.resourceType.id, baseURL: base) }
            return SCIMResponse.json(ListResponse(resources: resources).json)
        }
        group.get("ResourceTypes/:id") { _, context in
            let id = try context.parameters.require("id")
            guard servedTypes.contains(where: { $0.resourceType.id.caseInsensitiveEquals(id) }),
                let json = documents.resourceTypeJSON(id: id, baseURL: base)
            else { throw SCIMError.notFound("No resource type \(id).") }
            return SCIMResponse.json(json)
        }
        group.get("Schemas") { _, _ in
            SCIMResponse.json(ListResponse(resources: servedSchemaIDs.compactMap { documents.schemaJSON(id: $0, baseURL: base) }).json)
        }
        group.get("Schemas/:id") { _, context in
            let id = try context.parameters.require("id")
            guard servedSchemaIDs.contains(where: { $0.caseInsensitiveEquals(id) }),
                let json = documents.schemaJSON(id: id, baseURL: base)
            else { throw SCIMError.notFound("No schema \(id).") }
            return SCIMResponse.json(json)
        }
    }

    private var base: String { configuration.publicBaseURL }

    /// The documents served: what the backend really stores when the configuration says so.
    private var documents: SchemaRegistry { configuration.discoveryRegistry ?? registry }

    private var servedSchemaIDs: [String] {
        var ids: [String] = []
        for type in servedTypes.compactMap({ documents.resourceType(named: $0.resourceType.name) }) {
            for schema in type.schemas where !ids.contains(schema.id) { ids.append(schema.id) }
        }
        return ids
    }

    func serviceProviderConfig(sort: Bool) -> JSONValue {
        func supported(_ flag: Bool) -> JSONValue { .object(["supported": .bool(flag)]) }
        let config: OrderedDictionary<String, JSONValue> = [
            "schemas": .array([.string(SCIMURN.serviceProviderConfig)]),
            "documentationUri": .string("https://github.com/scim-gateway/scim-gateway#readme"),
            "patch": supported(configuration.features.patch),
            "bulk": .object([
                "supported": .bool(true), "maxOperations": .integer(Int64(configuration.bulkMaxOperations)),
                "maxPayloadSize": .integer(Int64(configuration.bulkMaxPayloadBytes)),
            ]),
            "filter": .object([
                "supported": .bool(configuration.features.filter),
                "maxResults": .integer(Int64(configuration.pageLimits.maxCount)),
            ]),
            "changePassword": supported(true),
            "sort": supported(sort),
            "etag": supported(true),
            "authenticationSchemes": .array([
                .object([
                    "type": .string("oauthbearertoken"),
                    "name": .string("Bearer token"),
                    "description": .string("Static bearer token per client (RFC 6750), configured as a SHA-256 hash."),
                    "primary": .bool(true),
                ])
            ]),
            "meta": .object([
                "resourceType": .string("ServiceProviderConfig"),
                "location": .string("\(base)/ServiceProviderConfig"),
            ]),
        ]
        return .object(config)
    }
}
