import LDAPClient
import SCIMCore

/// How passwords are written (`PasswordWrites`), and the start-up check that one safe method exists.
extension LDAPResourceStore {
    var passwords: PasswordWrites { PasswordWrites(store: self) }

    /// Start-up check: the method for every resource type that maps a password. Throws `PasswordWriteRefusal`
    /// when no method can be shown to keep passwords out of clear text.
    public func verifyPasswordWrites() async throws -> [String: PasswordWriteMethod] {
        var methods: [String: PasswordWriteMethod] = [:]
        for (name, mapped) in mapping.resourceTypes.sorted(by: { $0.key < $1.key }) {
            if let method = try await passwords.method(name, mapped) { methods[name] = method }
        }
        return methods
    }
}
