import LDAPClient
import SCIMCore

/// A write planned from a state another request changed meanwhile: the store reads, plans and writes again.
struct ConcurrentChange: Error { let error: LDAPError }

extension LDAPResourceStore {
    /// Runs a read-plan-write again (up to three times) when a concurrent change invalidated its plan.
    func retryingConcurrentChanges<T>(_ body: () async throws -> T) async throws -> T {
        for attempt in 1...3 {
            do {
                return try await body()
            } catch let change as ConcurrentChange {
                if attempt == 3 { throw translate(change.error, "resource") }
            }
        }
        throw SCIMError.internal()
    }
}
