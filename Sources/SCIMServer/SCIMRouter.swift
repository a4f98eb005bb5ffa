import Foundation
import Hummingbird
import Logging
import OrderedCollections
import SCIMCore

/// Builds the gateway's router: SCIM endpoints under the base path, health endpoints, one error renderer.
public enum SCIMRouter {
    public static func build<Store: ResourceStore>(store: Store, registry: SchemaRegistry, servedTypes: [String],
                                                   configuration: SCIMServerConfiguration) -> Router<SCIMRequestContext>
    {
        let router = Router(context: SCIMRequestContext.self)
        router.add(middleware: SCIMErrorMiddleware())
        router.add(middleware: BearerAuthMiddleware(clients: configuration.clients, openPaths: ["/healthz", "/readyz"]))
        router.get("healthz") { _, _ in SCIMResponse.json(.object(["status": .string("ok")])) }
        router.get("readyz") { _, _ in
            try await store.ping()
            return SCIMResponse.json(.object(["status": .string("ready")]))
        }
        let types = servedTypes.compactMap { registry.resourceType(named: $0) }
        let group = router.group(RouterPath(configuration.basePath))
        DiscoveryController(registry: registry, configuration: configuration, servedTypes: types).register(on: group)
        for type in types {
            ResourceController(store: store, type: type, configuration: configuration).register(on: group)
        }
        RootSearchController(store: store, types: types, configuration: configuration).register(on: group)
        BulkController(store: store, types: types, configuration: configuration).register(on: group)
        return router
    }
}
