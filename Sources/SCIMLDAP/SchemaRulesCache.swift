import LDAPClient
import Synchronization

/// The directory's matching rules, read once from its subschema on first use and kept for the process.
final class SchemaRulesCache: Sendable {
    private let cached = Mutex<DirectorySchemaRules?>(nil)

    func rules(from pool: LDAPPool) async throws -> DirectorySchemaRules {
        if let rules = cached.withLock({ $0 }) { return rules }
        let loaded = try await DirectorySchemaRules.load(from: pool)
        cached.withLock { $0 = loaded }
        return loaded
    }
}
