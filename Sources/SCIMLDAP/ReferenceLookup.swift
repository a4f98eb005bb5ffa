import LDAPClient
import SCIMCore

/// References between resources (manager, members, groups): the ids a representation names resolved to the DNs
/// (or stored member values) it is written with, and the DNs an entry holds resolved to ids, in batched searches
/// (`ReferenceResolver`).
struct ReferenceLookup {
    let store: LDAPResourceStore

    var resolver: ReferenceResolver {
        ReferenceResolver(
            pool: store.pool,
            mappings: store.mapping.resourceTypes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// ids → targets (DN, display, stored member values); unknown ids are absent.
    func targets(forIDs ids: [String]) async throws -> [String: ReferenceResolver.Target] {
        try await resolver.targets(forIDs: ids)
    }

    /// The targets `resource` refers to (its manager, its members).
    func targets(of resource: JSONValue, _ mapped: ResourceMapping) async throws -> [String: ReferenceResolver.Target] {
        try await targets(forIDs: Self.referencedIDs(in: resource, mapped))
    }

    /// DN → id (and display, type) for every manager/member DN in `entries`, in batched searches. `known`
    /// targets are taken as they are (no search).
    func resolve(
        in entries: [LDAPEntry], mapped: ResourceMapping, known: [ReferenceResolver.Target],
        kinds: Set<AttributeMapping.Kind.Name> = [.reference, .members, .groups]
    )
        async throws -> [String: EntryDecoder.ResolvedReference]
    {
        var references = Self.known(known, mapped: mapped)
        let (missing, missingValues) = Self.unresolved(in: entries, mapped: mapped, kinds: kinds, references: references)
        guard !missing.isEmpty || !missingValues.isEmpty else { return references }
        do {
            for (key, target) in try await resolver.targets(forDNs: Array(missing)) {
                references[key] = .init(id: target.id, display: target.display, resourceType: target.resourceType)
            }
            if let valueAttribute = mapped.membership?.value, !missingValues.isEmpty {
                for (key, target) in try await resolver.targets(forValues: Array(missingValues), attribute: valueAttribute) {
                    references[key] = .init(id: target.id, display: target.display, resourceType: target.resourceType)
                }
            }
        } catch let error as LDAPError {
            throw store.translate(error, "resource")
        }
        return references
    }

    /// Targets already at hand as references, keyed by DN and (members stored by value) by their value.
    static func known(_ targets: [ReferenceResolver.Target], mapped: ResourceMapping) -> [String: EntryDecoder.ResolvedReference] {
        var references: [String: EntryDecoder.ResolvedReference] = [:]
        for target in targets {
            let reference = EntryDecoder.ResolvedReference(id: target.id, display: target.display, resourceType: target.resourceType)
            references[DistinguishedNameKey.key(target.dn)] = reference
            if let attribute = mapped.membership?.value, let value = target.values[attribute.lowercased()] {
                references[ReferenceResolver.valueKey(value)] = reference
            }
        }
        return references
    }

    /// The DNs and stored member values of `kinds` in `entries` that `references` does not hold (never the
    /// membership's placeholder).
    static func unresolved(
        in entries: [LDAPEntry], mapped: ResourceMapping, kinds: Set<AttributeMapping.Kind.Name>,
        references: [String: EntryDecoder.ResolvedReference]
    ) -> (dns: Set<String>, values: Set<String>) {
        let placeholder = mapped.membership?.placeholder.map(DistinguishedNameKey.key)
        let byValue = mapped.membership?.value != nil
        var dns: Set<String> = []
        var values: Set<String> = []
        for entry in entries {
            for attribute in mapped.attributes where entry.mayHold(attribute.typeBits) && kinds.contains(attribute.kind.name) {
                if attribute.kind.name == .members, byValue {
                    for value in entry.strings(attribute.ldap) where references[ReferenceResolver.valueKey(value)] == nil {
                        values.insert(value)
                    }
                    continue
                }
                for dn in entry.strings(attribute.ldap) {
                    let key = DistinguishedNameKey.key(dn)
                    if references[key] == nil, key != placeholder { dns.insert(dn) }
                }
            }
        }
        return (dns, values)
    }

    /// An encoder for `mapped` with the resolved targets: DNs, or stored member values (`membership.value`).
    static func encoder(_ mapped: ResourceMapping, targets: [String: ReferenceResolver.Target]) -> EntryEncoder {
        var encoder = EntryEncoder(mapping: mapped, referenceDNs: targets.mapValues(\.dn))
        encoder.memberValues = memberValues(mapped, targets: targets)
        return encoder
    }

    /// id → the value a member is stored by, when the mapping stores members by value (nil: by DN).
    static func memberValues(_ mapped: ResourceMapping, targets: [String: ReferenceResolver.Target]) -> [String: String]? {
        guard let attribute = mapped.membership?.value?.lowercased() else { return nil }
        return targets.compactMapValues { $0.values[attribute] }
    }

    /// The ids `resource` refers to: its `reference` attributes (manager) and its members.
    static func referencedIDs(in resource: JSONValue, _ mapped: ResourceMapping) -> [String] {
        var ids: [String] = []
        for attribute in mapped.attributes {
            guard let value = resource.value(at: attribute.path) else { continue }
            switch attribute.kind {
            case .reference: if let id = value["value"]?.stringValue ?? value.stringValue { ids.append(id) }
            case .members: ids += (value.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
            default: break
            }
        }
        return ids
    }
}
