import Foundation
import Hummingbird
import Logging
import OrderedCollections
import SCIMCore

/// Builds the gateway's router: SCIM endpoints under the base path, health endpoints, one error renderer.
public enum SCIMRouter {
    public static func build<Store: ResourceStore>(
        store: Store, registry: SchemaRegistry, servedTypes: [String],
        configuration: SCIMServerConfiguration
    ) -> Router<SCIMRequestContext> {
        let router = Router(context: SCIMRequestContext.self)
        router.add(middleware: EventLoopAffinityMiddleware())
        configuration.metrics.prepare(clients: configuration.clients.map(\.name))
        router.add(middleware: HTTPMetricsMiddleware(metrics: configuration.metrics))
        router.add(middleware: SCIMErrorMiddleware())
        let directory = UserDirectory(
            lookup: { attribute, value, logger in
                guard let users = registry.resourceType(named: "User"),
                    let path = try? AttributePath(parsing: attribute).resolved(against: users)
                else { return nil }
                let search = SearchRequest(
                    filter: .compare(path, .eq, .string(value)), projection: Projection(attributes: ["id"]),
                    count: 2)
                let page = try await store.search(search, type: users, context: StoreContext(logger: logger))
                return page.resources.count == 1 ? page.resources[0].id : nil
            },
            verifyPassword: (store as? any CredentialVerifier).flatMap { verifier in
                guard let users = registry.resourceType(named: "User") else { return nil }
                return { userName, password, logger in
                    try await verifier.verifyPassword(
                        userName: userName, password: password, type: users,
                        context: StoreContext(logger: logger))
                }
            })
        let usersEndpoint = registry.resourceType(named: "User").map { String($0.resourceType.endpoint.trimmingPrefix("/")) } ?? "Users"
        var openPaths: Set<String> = ["/healthz", "/readyz", OIDCProfile.discoveryPath]
        if configuration.metricsEndpoint != nil { openPaths.insert("/metrics") }
        router.add(
            middleware: AuthenticationMiddleware(
                clients: configuration.clients, users: configuration.users,
                directory: directory, limiter: RateLimiter(), openPaths: openPaths,
                basePath: configuration.basePath, metrics: configuration.metrics,
                usersURL: "\(configuration.publicBaseURL)/\(usersEndpoint)"))
        // Scrapers use the metrics token (if any), never a SCIM client's: see MetricsEndpoint.
        configuration.metricsEndpoint?.register(on: router)
        // The OpenID Connect profile's discovery member (`scim_endpoint`), for the OP to publish and clients to read.
        let profileDocument = OIDCProfile.discoveryDocument(publicBaseURL: configuration.publicBaseURL)
        router.get(RouterPath(OIDCProfile.discoveryPath)) { _, _ in OIDCProfile.response(profileDocument) }
        router.get("healthz") { _, _ in SCIMResponse.json(.object(["status": .string("ok")])) }
        router.get("readyz") { _, context in
            try await store.ping(context: context.storeContext)
            return SCIMResponse.json(.object(["status": .string("ready")]))
        }
        var types = servedTypes.compactMap { registry.resourceType(named: $0) }
        let group = router.group(RouterPath(configuration.basePath))
        DiscoveryController(registry: registry, configuration: configuration, servedTypes: types).register(on: group)
        // /PasswordPolicies has its own read-only controller and takes no part in root searches or bulk.
        if let policies = types.first(where: { $0.resourceType.name == PasswordPolicyResource.name }) {
            types.removeAll { $0.resourceType.name == PasswordPolicyResource.name }
            if let reader = store as? any PasswordPolicyStore, reader.servesPasswordPolicies {
                PasswordPoliciesController(store: reader, type: policies).register(on: group)
            }
        }
        for type in types {
            let controller = ResourceController(store: store, type: type, configuration: configuration)
            controller.register(on: group)
            if type.resourceType.name == "User" {
                // Before /Me's own routes, so `/Me/password` is not taken for another path.
                if let actions = store as? any PasswordActionStore, actions.offersPasswordActions(type: type) {
                    PasswordActionsController(actions: actions, users: controller).register(on: group)
                }
                MeController(users: controller).register(on: group)
            }
        }
        RootSearchController(store: store, types: types, configuration: configuration).register(on: group)
        BulkController(store: store, types: types, configuration: configuration).register(on: group)
        return router
    }
}
