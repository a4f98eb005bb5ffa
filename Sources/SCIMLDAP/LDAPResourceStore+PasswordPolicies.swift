import LDAPClient
import OrderedCollections
import SCIMCore

/// `/PasswordPolicies`: the pwdPolicy entries under the mapping's `policiesBaseDN`, read fresh as the service
/// account and shown read-only.
extension LDAPResourceStore: PasswordPolicyStore {
    var policiesBaseDN: String? {
        mapping.resourceTypes.sorted { $0.key < $1.key }.lazy.compactMap { $0.value.passwordPolicy }.first { $0.serve == true }?.policiesBaseDN
    }

    public var servesPasswordPolicies: Bool { policiesBaseDN != nil }

    public func passwordPolicies(type: ResolvedResourceType, context: StoreContext) async throws -> [StoredResource] {
        guard let base = policiesBaseDN else { return [] }
        passwordPolicyCache.clear()
        do {
            return try await passwordPolicyCache.all(under: base, pool: pool).compactMap { resource($0, type: type) }
        } catch let error as LDAPError {
            throw serving(context).translate(error, "password policy")
        }
    }

    func resource(_ policy: PasswordPolicy, type: ResolvedResourceType) -> StoredResource? {
        guard let id = policy.id else { return nil }
        var out: OrderedDictionary<String, JSONValue> = [
            "schemas": .array([.string(PasswordPolicyResource.schema)]),
            "id": .string(id),
        ]
        if let name = policy.name { out["name"] = .string(name) }
        out["dn"] = .string(policy.dn)
        if let attribute = policy.attribute { out["passwordAttribute"] = .string(attribute) }
        func number(_ value: Int) -> JSONValue { .integer(Int64(value)) }
        out["minLength"] = number(policy.minLength)
        out["maxLength"] = number(policy.maxLength)
        out["qualityCheck"] = .string(["none", "whenPossible", "required"][min(max(policy.checkQuality, 0), 2)])
        out["minAge"] = number(policy.minAge)
        out["maxAge"] = number(policy.maxAge)
        out["expireWarning"] = number(policy.expireWarning)
        out["history"] = number(policy.inHistory)
        out["graceLogins"] = number(policy.graceAuthNLimit)
        out["graceExpiry"] = number(policy.graceExpiry)
        out["lockout"] = .bool(policy.lockout)
        out["maxFailures"] = number(policy.maxFailure)
        out["lockoutDuration"] = number(policy.lockoutDuration)
        out["failureCountInterval"] = number(policy.failureCountInterval)
        out["mustChange"] = .bool(policy.mustChange)
        out["allowUserChange"] = .bool(policy.allowUserChange)
        out["safeModify"] = .bool(policy.safeModify)
        out["minDelay"] = number(policy.minDelay)
        out["maxDelay"] = number(policy.maxDelay)
        out["maxIdle"] = number(policy.maxIdle)
        let version = String((policy.csn ?? policy.modified ?? "0").unicodeScalars.filter { $0.isASCII && $0 != "\"" && $0 != "\\" })
        var meta: OrderedDictionary<String, JSONValue> = ["resourceType": .string(PasswordPolicyResource.name)]
        if let created = policy.created.flatMap(GeneralizedTime.rfc3339) { meta["created"] = .string(created) }
        if let modified = policy.modified.flatMap(GeneralizedTime.rfc3339) { meta["lastModified"] = .string(modified) }
        meta["location"] = .string(baseURL + PasswordPolicyResource.endpoint + "/" + id)
        meta["version"] = .string("W/\"\(version)\"")
        out["meta"] = .object(meta)
        return StoredResource(resource: .object(out), version: version)
    }
}
