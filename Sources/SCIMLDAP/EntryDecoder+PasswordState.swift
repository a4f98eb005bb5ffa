import Foundation
import LDAPClient
import SCIMCore

extension EntryDecoder {
    /// `passwordState` when the mapping shows it and the resource type carries its extension.
    func passwordState(_ entry: LDAPEntry, now: Date = Date()) -> JSONValue? {
        guard let settings = mapping.passwordPolicy, settings.showsState, let policies = passwordPolicies,
            type.extensions.contains(where: { $0.schema.id.caseInsensitiveEquals(PasswordStateAttributes.schema) })
        else { return nil }
        let policy = PasswordState.policyDN(of: entry, mapping: settings).flatMap { policies[DistinguishedNameKey.key($0)] }
        return PasswordState(entry: entry, policy: policy, now: now).json()
    }
}
