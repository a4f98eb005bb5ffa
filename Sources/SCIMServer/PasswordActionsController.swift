import HTTPTypes
import Hummingbird
import OrderedCollections
import SCIMCore

/// Password actions on a user (README, Password policy): `POST /Users/{id}/password` (an administrator's reset,
/// `mustChange` true by default), `POST /Users/{id}/unlock` (lift a temporary lockout) and `POST /Me/password`
/// (the user's own change with the current password). Each answers 204; nothing else changes.
struct PasswordActionsController<Store: ResourceStore> {
    let actions: any PasswordActionStore
    let users: ResourceController<Store>

    static var resetSchema: String { "urn:scim-gateway:params:scim:api:messages:2.0:PasswordReset" }
    static var changeSchema: String { "urn:scim-gateway:params:scim:api:messages:2.0:PasswordChange" }

    func register(on group: RouterGroup<SCIMRequestContext>) {
        let endpoint = users.endpoint
        group.post(RouterPath("\(endpoint)/:id/password")) { request, context in
            let id = try context.parameters.require("id")
            try context.policy.authorize(.update, type: users.typeName)
            let body = try await body(request, context, schema: Self.resetSchema)
            try context.policy.checkWritable(.object(["password": .string("")]), type: users.type)
            let password = try Self.string(body, "password")
            guard let mustChange = body["mustChange"]?.boolValue ?? (body["mustChange"] == nil ? true : nil) else {
                throw SCIMError.invalidValue("mustChange is true or false.")
            }
            return try await users.audited("passwordReset", context, id: id) {
                try await actions.resetPassword(
                    id: id, type: users.type, password: password, mustChange: mustChange,
                    context: context.storeContext)
                return (Response(status: .noContent), nil)
            }
        }
        group.post(RouterPath("\(endpoint)/:id/unlock")) { _, context in
            let id = try context.parameters.require("id")
            try context.policy.authorize(.update, type: users.typeName)
            return try await users.audited("passwordUnlock", context, id: id) {
                try await actions.unlockPassword(id: id, type: users.type, context: context.storeContext)
                return (Response(status: .noContent), nil)
            }
        }
        group.post("Me/password") { request, context in
            guard context.isUser else {
                throw SCIMError.notImplemented("/Me needs a user credential (a user's token or password); this client has none.")
            }
            guard let id = context.actingUserID else { throw SCIMError.notFound("The authenticated user has no resource.") }
            try context.policy.authorize(.update, type: users.typeName)
            let body = try await body(request, context, schema: Self.changeSchema)
            try context.policy.checkWritable(.object(["password": .string("")]), type: users.type)
            let current = try Self.string(body, "currentPassword")
            let password = try Self.string(body, "password")
            return try await users.audited("passwordChange", context, id: id) {
                try await actions.changeOwnPassword(
                    id: id, type: users.type, currentPassword: current, newPassword: password,
                    context: context.storeContext)
                return (Response(status: .noContent), nil)
            }
        }
    }

    private func body(_ request: Request, _ context: SCIMRequestContext, schema: String) async throws -> JSONValue {
        let body = try await SCIMBody.read(request, context: context, configuration: users.configuration)
        guard case .object = body else { throw SCIMError.invalidSyntax("The body is a JSON object.") }
        if let schemas = body["schemas"]?.arrayValue, !schemas.contains(where: { $0.stringValue?.caseInsensitiveEquals(schema) == true }) {
            throw SCIMError.invalidSyntax("schemas must list \(schema).")
        }
        return body
    }

    private static func string(_ body: JSONValue, _ name: String) throws -> String {
        guard let value = body[name]?.stringValue, !value.isEmpty else {
            throw SCIMError.invalidValue("\(name) is required (a non-empty string).")
        }
        return value
    }
}
