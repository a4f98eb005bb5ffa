import Synchronization

/// The password write method per resource type, decided once from the directory (see `PasswordWriteDecision`).
final class PasswordWriteCache: Sendable {
    private let decided = Mutex<[String: PasswordWriteMethod]>([:])

    func method(for typeName: String, decide: () async throws -> PasswordWriteMethod) async throws -> PasswordWriteMethod {
        if let method = decided.withLock({ $0[typeName] }) { return method }
        let method = try await decide()
        decided.withLock { $0[typeName] = method }
        return method
    }
}
