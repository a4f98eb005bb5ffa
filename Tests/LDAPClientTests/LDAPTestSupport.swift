import Foundation
import LDAPClient
import SlapdHarness
import Testing

/// Helpers shared by the filter, DN, control, pool and schema tests.
enum LDAPTestSupport {
    /// Runs `body`, which must fail with an `LDAPError`; records an issue otherwise and returns the error.
    @discardableResult
    static func expectLDAPError<T>(
        _ expected: LDAPResultCode? = nil, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> T
    ) async -> LDAPError? {
        do {
            _ = try await body()
            Issue.record(
                "expected an LDAPError\(expected.map { " \($0)" } ?? ""), but the call succeeded",
                sourceLocation: sourceLocation)
            return nil
        } catch let error as LDAPError {
            if let expected {
                #expect(error.code == expected, "\(error.logDescription)", sourceLocation: sourceLocation)
            }
            return error
        } catch {
            Issue.record("expected an LDAPError, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// The stored password hash of `dn`, read as the directory's admin (the service account may set passwords
    /// but never read them: bundled ACL `=w`).
    static func storedPassword(_ dn: String, in slapd: SlapdInstance) async throws -> String? {
        let admin = try await LDAPConnection.connect(slapd.adminConfiguration())
        return try await admin.search(base: dn, scope: .base, attributes: ["userPassword"]).entries.first?.string("userPassword")
    }

    /// Adds an organizational unit `ou=<name>,<suffix>` as the given connection and returns its DN.
    static func addOU(_ name: String, in slapd: SlapdInstance, connection: LDAPConnection) async throws -> String {
        let dn = "ou=\(DistinguishedName.escape(name)),\(slapd.suffix)"
        _ = try await connection.add(
            dn: dn,
            attributes: [
                ("objectClass", [Array("organizationalUnit".utf8)]),
                ("ou", [Array(name.utf8)]),
            ])
        return dn
    }

    /// Undoes RFC 4515 value escaping (test oracle for `LDAPFilter.escape`).
    static func unescapeFilterValue(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x5C {
                guard index + 2 < bytes.count,
                    let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
                else { return nil }
                out.append(value)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }
}
