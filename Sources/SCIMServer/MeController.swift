import HTTPTypes
import Hummingbird
import SCIMCore

/// /Me (RFC 7644 §3.11): GET, PUT, PATCH and DELETE on the authenticated user's own User resource, through the
/// same code as /Users/{id}. Writes run as the user's own entry (RequestScope.actingUserID), so the directory's
/// password policy and ACLs treat them as the user's own change. A client credential names no user: 501; a user
/// credential without a resource: 404. Responses carry `Location` with the resource's own URI.
struct MeController<Store: ResourceStore> {
    let users: ResourceController<Store>

    func register(on group: RouterGroup<SCIMRequestContext>) {
        group.get("Me") { request, context in
            let id = try subject(context)
            return located(try await users.get(request, context, id: id), id: id)
        }
        group.put("Me") { request, context in
            let id = try subject(context)
            return located(try await users.replace(request, context, id: id), id: id)
        }
        group.patch("Me") { request, context in
            let id = try subject(context)
            return located(try await users.patch(request, context, id: id), id: id)
        }
        group.delete("Me") { request, context in try await users.delete(request, context, id: try subject(context)) }
        group.post("Me") { _, _ -> Response in
            throw SCIMError.notImplemented("POST /Me is not supported; users are created by a provisioning client.")
        }
    }

    private func subject(_ context: SCIMRequestContext) throws -> String {
        guard context.isUser else {
            throw SCIMError.notImplemented("/Me needs a user credential (a user's token or password); this client has none.")
        }
        guard let id = context.actingUserID else { throw SCIMError.notFound("The authenticated user has no resource.") }
        return id
    }

    private func located(_ response: Response, id: String) -> Response {
        var response = response
        response.headers[.location] = "\(users.configuration.publicBaseURL)/\(users.endpoint)/\(id)"
        return response
    }
}
