import Crypto
import Foundation

/// `{SSHA}` as slapd writes and verifies it: base64(SHA-1(password ‖ salt) ‖ salt). The scheme every OpenLDAP
/// verifies without a module (its default `olcPasswordHash`); used only with `ldap.passwordWrite: hash`.
enum SaltedSHA {
    static let prefix = "{SSHA}"

    /// A fresh value with a random 8-byte salt from the system's secure generator.
    static func hash(_ password: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<8).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return hash(password, salt: salt)
    }

    static func hash(_ password: String, salt: [UInt8]) -> String {
        var sha = Insecure.SHA1()
        sha.update(data: Array(password.utf8))
        sha.update(data: salt)
        return prefix + Data(Array(sha.finalize()) + salt).base64EncodedString()
    }

    /// True when `stored` is an {SSHA} value of `password` (tests).
    static func verify(_ password: String, against stored: String) -> Bool {
        guard stored.hasPrefix(prefix), let raw = Data(base64Encoded: String(stored.dropFirst(prefix.count))),
            raw.count > 20
        else { return false }
        return hash(password, salt: Array(raw.dropFirst(20))) == stored
    }
}
