import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrderedCollections
import SCIMCore

/// POST /.search at the service provider root (RFC 7644 §3.4.3): the same search over every resource type,
/// concatenated in resource-type order. Each type is counted and paged by the backend through its
/// `ResourceOperations.page` (the page limits its own routes use); only the page is read.
struct RootSearchController<Store: ResourceStore> {
    let store: Store
    let types: [ResolvedResourceType]
    let configuration: SCIMServerConfiguration

    func register(on group: RouterGroup<SCIMRequestContext>) {
        group.post(".search") { request, context in try await search(request, context) }
    }

    func search(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        try context.policy.authorize(.read, type: nil)
        // Only the types this client may read take part.
        let types = types.filter { (try? context.policy.authorize(.read, type: $0.resourceType.name)) != nil }
        let body = try await SCIMBody.read(request, context: context, configuration: configuration)
        let search = try SearchRequest(json: body, filterLimits: configuration.filterLimits)
        if search.sortBy != nil {
            throw SCIMError.invalidValue("sortBy is supported on /Users/.search and /Groups/.search, not across resource types.")
        }
        // A filter naming an attribute one type lacks selects nothing of that type.
        var applicable: [(ResolvedResourceType, SearchRequest)] = []
        var firstError: SCIMError?
        for type in types {
            do {
                applicable.append((type, try search.resolved(against: type)))
            } catch {
                firstError = firstError ?? error
            }
        }
        if applicable.isEmpty, let firstError { throw firstError }
        let wanted = configuration.pageLimits.count(search.count)
        var totals: [Int] = []
        let operations = applicable.map { ResourceOperations(store: store, type: $0.0, configuration: configuration) }
        for ((_, resolved), typeOperations) in zip(applicable, operations) {
            var countOnly = resolved
            countOnly.count = 0
            countOnly.startIndex = 1
            totals.append(try await typeOperations.page(countOnly, context).totalResults)
        }
        var resources: [JSONValue] = []
        var offset = 0  // resources of earlier types
        for (((type, resolved), total), typeOperations) in zip(zip(applicable, totals), operations) {
            defer { offset += total }
            let remaining = wanted - resources.count
            let localStart = search.startIndex - offset
            guard remaining > 0, localStart + remaining - 1 >= 1, max(localStart, 1) <= total else { continue }
            var page = resolved
            page.startIndex = max(localStart, 1)
            page.count = remaining
            let found = try await typeOperations.page(page, context)
            resources += found.resources.map { resolved.projection.apply(to: $0.resource, type: type) }
        }
        let list = ListResponse(
            resources: resources, totalResults: totals.reduce(0, +), startIndex: search.startIndex,
            itemsPerPage: resources.count)
        return SCIMResponse.json(list.json)
    }
}
