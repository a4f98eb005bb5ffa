import Foundation
import SCIMCore
import SCIMLDAP

extension GatewayApplication {
    /// The registry with the ppolicy schemas (`scim/ppolicy/*.json`: the user's password state and the password
    /// policy resource) when a resource type of the mapping names `passwordPolicy`; unchanged otherwise, so a
    /// mapping without it neither serves nor advertises them.
    static func addingPasswordPolicySchemas(of mapping: Mapping, to registry: SchemaRegistry, schemaDirectory: URL) throws
        -> SchemaRegistry
    {
        guard mapping.resourceTypes.values.contains(where: { $0.passwordPolicy != nil }) else { return registry }
        let directory = schemaDirectory.appendingPathComponent("ppolicy")
        let loaded: SchemaRegistry
        do {
            loaded = try SchemaRegistry.load(directory: directory)
        } catch {
            throw ConfigError("passwordPolicy: schemas in \(directory.path): \(error.message)")
        }
        let missing = loaded.schemas.filter { schema in registry.schemas.contains { $0.id.caseInsensitiveEquals(schema.id) } }
        guard missing.isEmpty else { throw ConfigError("passwordPolicy: schema \(missing[0].id) is defined twice") }
        do {
            return try SchemaRegistry(schemas: registry.schemas + loaded.schemas, resourceTypes: registry.resourceTypes)
        } catch {
            throw ConfigError("passwordPolicy: \(error.message)")
        }
    }
}
