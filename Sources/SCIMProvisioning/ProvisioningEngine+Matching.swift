import Logging
import OrderedCollections
import SCIMCore

/// Finding a resource on the target that is ours, or that was there before provisioning began (adoption, never
/// a duplicate), and removing one.
extension ProvisioningEngine {
    /// By `externalId` (= our id); then users by `userName`, then by primary (else first) e-mail; groups by
    /// `displayName`. A candidate another source manages (a different `externalId`) is never taken.
    func match(type: ProvisionedType, localID: String, desired: DesiredResource) async throws(TargetError) -> JSONValue? {
        if let found = try await ours(type: type, localID: localID) { return found }
        for filter in Self.adoptionFilters(desired: desired, hasMembers: type.hasMembers) {
            if let found = try await first(type, filter, localID: localID) {
                logger.debug(
                    "provisioning: adopting a resource found on the target",
                    metadata: [
                        "target": "\(settings.name)", "id": "\(localID)", "filter": "\(filter)",
                    ])
                return found
            }
        }
        logger.debug(
            "provisioning: no counterpart on the target",
            metadata: [
                "target": "\(settings.name)", "id": "\(localID)", "tried": "\(Self.adoptionFilters(desired: desired, hasMembers: type.hasMembers))",
            ])
        return nil
    }

    /// The target's resource carrying our id as `externalId`, if any.
    func ours(type: ProvisionedType, localID: String) async throws(TargetError) -> JSONValue? {
        try await first(type, "externalId eq \(ResourceDiff.quoted(localID))", localID: localID)
    }

    static func adoptionFilters(desired: DesiredResource, hasMembers: Bool) -> [String] {
        let attributes = JSONValue.object(desired.attributes)
        if hasMembers {
            return attributes.member(named: "displayName")?.value.stringValue.map { ["displayName eq \(ResourceDiff.quoted($0))"] } ?? []
        }
        var filters: [String] = []
        if let userName = attributes.member(named: "userName")?.value.stringValue {
            filters.append("userName eq \(ResourceDiff.quoted(userName))")
        }
        let emails = attributes.member(named: "emails")?.value.arrayValue ?? []
        let email = emails.first { $0["primary"]?.boolValue == true } ?? emails.first
        if let address = email?["value"]?.stringValue {
            filters.append("emails.value eq \(ResourceDiff.quoted(address))")
        }
        return filters
    }

    /// The one candidate a filter finds that we may take: ours, or unmanaged. Several unmanaged candidates
    /// (two accounts share an e-mail): none, rather than the wrong one.
    private func first(_ type: ProvisionedType, _ filter: String, localID: String) async throws(TargetError) -> JSONValue? {
        let found: [JSONValue]
        do {
            found = try await client.search(type.endpoint, filter: filter)
        } catch let error where error.status == 400 || error.status == 501 {
            return nil  // the target cannot filter on this attribute
        }
        let ours = found.filter { $0["externalId"]?.stringValue == localID }
        if let mine = ours.first { return mine }
        let free = found.filter { $0["externalId"]?.stringValue == nil }
        // (Not `cond ? free[0] : nil`: JSONValue is ExpressibleByNilLiteral, so that nil would be JSON null.)
        guard free.count == 1 else { return Optional<JSONValue>.none }
        return free[0]
    }

    /// Removal as `settings.removal` says. A resource already gone on the target is fine.
    func remove(remoteID: String, type: ProvisionedType) async throws(TargetError) {
        let path = "\(type.endpoint)/\(TargetClient.percentEncoded(remoteID))"
        do {
            if settings.removal != .delete, await updateMethod() == .put, patchRefused {
                // No PATCH on this target: the resource is read and put back changed.
                guard var resource = try await client.get(path)?.objectValue else { return }
                resource.removeValue(forKey: "meta")
                switch settings.removal {
                case .deactivate where type.hasMembers: resource.removeValue(forKey: "members")
                case .deactivate: resource["active"] = .bool(false)
                default: resource.removeValue(forKey: "externalId")
                }
                _ = try await client.replace(path, .object(resource))
                return
            }
            switch settings.removal {
            case .delete:
                try await client.delete(path)
            case .deactivate where type.hasMembers:
                _ = try await client.patch(path, operations: [ResourceDiff.op("remove", path: "members")])
            case .deactivate:
                _ = try await client.patch(path, operations: [ResourceDiff.op("replace", path: "active", value: .bool(false))])
            case .unmanage:
                _ = try await client.patch(path, operations: [ResourceDiff.op("remove", path: "externalId")])
            }
        } catch let error where error.status == 404 {}
    }
}
