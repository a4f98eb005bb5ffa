import HTTPTypes
import Hummingbird
import OrderedCollections
import SCIMCore

/// `/PasswordPolicies`: the directory's password policies, read-only. Writes are 405: the service account may
/// read the policies but not change them (a client able to weaken a policy would weaken every password).
struct PasswordPoliciesController {
    let store: any PasswordPolicyStore
    let type: ResolvedResourceType

    func register(on group: RouterGroup<SCIMRequestContext>) {
        let endpoint = String(type.resourceType.endpoint.drop { $0 == "/" })
        let refusal = "Password policies are read-only through SCIM: change them in the directory (the gateway's account may only read them)."
        for path in [endpoint, "\(endpoint)/:id", "\(endpoint)/.search"] {
            for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
                group.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw SCIMError(status: 405, detail: refusal)
                }
            }
        }
        group.get(RouterPath(endpoint)) { request, context in
            try context.policy.authorize(.read, type: type.resourceType.name)
            if request.uri.queryParameters.get("filter") != nil {
                throw SCIMError.invalidFilter("\(type.resourceType.endpoint) takes no filter: the directory holds few policies; read them all.")
            }
            let projection = try projection(request)
            let resources = try await store.passwordPolicies(type: type, context: context.storeContext).map {
                projection.apply(to: $0.resource, type: type)
            }
            return SCIMResponse.json(ListResponse(resources: resources).json)
        }
        group.get(RouterPath("\(endpoint)/:id")) { request, context in
            try context.policy.authorize(.read, type: type.resourceType.name)
            let id = try context.parameters.require("id")
            let projection = try projection(request)
            guard
                let found = try await store.passwordPolicies(type: type, context: context.storeContext).first(where: {
                    $0.id?.caseInsensitiveEquals(id) == true
                })
            else {
                throw SCIMError.notFound("No password policy \(id).")
            }
            return SCIMResponse.json(projection.apply(to: found.resource, type: type), headers: [.eTag: found.etag])
        }
    }

    private func projection(_ request: Request) throws -> Projection {
        let projection = Projection(
            attributes: request.uri.queryParameters.get("attributes"),
            excludedAttributes: request.uri.queryParameters.get("excludedAttributes"))
        try projection.validate(against: type)
        return projection
    }
}
