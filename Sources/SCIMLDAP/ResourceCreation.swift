import Foundation
import LDAPClient
import SCIMCore

/// POST: the representation encoded as a new entry under the mapping's base, with the mapping's defaults and
/// allocated numbers filled in, the RDN disambiguated when another entry holds its value (`rdnCollision`), and the
/// password set by the method decided for the directory (an entry whose password is refused is removed again).
struct ResourceCreation {
    let store: LDAPResourceStore

    func create(_ resource: JSONValue, type: ResolvedResourceType) async throws -> StoredResource {
        let mapped = try store.resourceMapping(type)
        let resource = try store.storable(resource, type: type)
        guard store.isInScope(mapped.baseDN) else {
            throw SCIMError.forbidden("This client may not create \(type.resourceType.name) resources.")
        }
        let targets = try await store.references.targets(of: resource, mapped)
        var encoded = try ReferenceLookup.encoder(mapped, targets: targets).encodeNew(resource)
        encoded.attributes = try await completed(encoded.attributes, resource: resource, mapped: mapped)
        var pending: PasswordWrites.Pending?
        if let password = mapped.attributes.first(where: { $0.kind.name == .password }),
            encoded.attributes.contains(where: { ModificationPlanner.type(of: $0.0) == password.ldap.lowercased() })
        {
            let method = try await store.passwords.methodForWrite(type.resourceType.name, mapped)
            (encoded.attributes, pending) = PasswordWrites.applying(
                method, passwordType: password.ldap.lowercased(),
                to: encoded.attributes)
        }
        let readList = await store.readAttributes(mapped, projection: .all)
        var entry = try await add(encoded, mapped: mapped, controls: [.postRead(readList), .passwordPolicy], type: type)
        if let pending {
            // The entry exists without a password; a refused password removes it again.
            let dn = entry.dn
            do {
                entry = try await store.pool.withConnection { connection in
                    try await store.passwords.set(
                        pending, dn: dn, on: connection,
                        relock: PasswordWrites.relock(mapped, resource: resource, current: nil),
                        undo: { _ = try await connection.delete(dn: dn) })
                    guard let reread = try await connection.search(base: dn, scope: .base, attributes: readList).entries.first
                    else { throw SCIMError.notFound() }
                    return reread
                }
            } catch let error as LDAPError {
                throw store.translate(error, type.resourceType.name)
            }
        }
        return try await store.reader.decode(entry, type: type, mapped: mapped, known: Array(targets.values))
    }

    /// Adds the entry and returns it as the directory stored it (Post-Read). When another resource has the same
    /// RDN value (groups may share a displayName) and the mapping names `rdnCollision`, the RDN gains that
    /// attribute with a fresh unique value.
    private func add(
        _ encoded: EntryEncoder.Encoded, mapped: ResourceMapping, controls: [LDAPRequestControl],
        type: ResolvedResourceType
    ) async throws -> LDAPEntry {
        let rdn = "\(mapped.rdnAttribute)=\(DistinguishedName.escape(encoded.rdnValue))"
        let written: LDAPWriteResult
        do {
            do {
                written = try await store.write {
                    try await $0.add(dn: "\(rdn),\(mapped.baseDN)", attributes: encoded.attributes, controls: controls)
                }
            } catch let error as LDAPError where error.code == .entryAlreadyExists && mapped.rdnCollision != nil {
                let extra = mapped.rdnCollision ?? "scimId"
                let uniqueID = UUID().uuidString.lowercased()
                let attributes = encoded.attributes + [(extra, [Array(uniqueID.utf8)])]
                written = try await store.write {
                    try await $0.add(dn: "\(rdn)+\(extra)=\(uniqueID),\(mapped.baseDN)", attributes: attributes, controls: controls)
                }
            }
        } catch let error as LDAPError {
            throw store.translate(error, type.resourceType.name)
        }
        guard let entry = written.controls.postRead else { throw SCIMError.internal() }
        return entry
    }

    /// A new entry's attributes with the mapping's `defaults` and `allocate` filled in (posixAccount).
    func completed(_ attributes: [(String, [[UInt8]])], resource: JSONValue, mapped: ResourceMapping)
        async throws -> [(String, [[UInt8]])]
    {
        var attributes = try NewEntryDefaults(mapping: mapped).apply(to: attributes, resource: resource)
        for (ldap, allocation) in (mapped.allocate ?? [:]).sorted(by: { $0.key < $1.key })
        where !attributes.contains(where: { ModificationPlanner.type(of: $0.0) == ldap.lowercased() && !$0.1.isEmpty }) {
            do {
                // Numbers are unique across the naming context (users outside the bases hold them too).
                let context = try await namingContext(of: mapped.baseDN)
                let number = try await NumberAllocator(pool: store.pool).allocate(ldap, allocation, base: context)
                attributes.append((ldap, [Array(number.utf8)]))
            } catch let error as LDAPError {
                throw store.translate(error, "counter")
            }
        }
        return attributes
    }

    /// The directory's naming context (root DSE `namingContexts`) holding `dn`; `dn` itself when none does.
    func namingContext(of dn: String) async throws -> String {
        let root = try await store.pool.search(base: "", scope: .base, attributes: ["namingContexts"])
        guard let parsed = try? DistinguishedName(dn) else { return dn }
        let contexts = (root.entries.first?.strings("namingContexts") ?? []).compactMap { try? DistinguishedName($0) }
        return contexts.filter { parsed.isDescendant(of: $0) }.max { $0.rdns.count < $1.rdns.count }?.description ?? dn
    }
}
