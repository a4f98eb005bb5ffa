/// How the gateway stores a SCIM `password` so the directory never holds it in clear text.
///
/// - `modify`: a plain LDAP add/modify carrying the password-policy control; only safe when the directory hashes
///   what it is given (slapd's ppolicy overlay with `olcPPolicyHashCleartext: TRUE`). One atomic operation.
/// - `exop`: the other changes first, then the Password Modify extended operation (RFC 3062), which slapd always
///   hashes with its own `olcPasswordHash` ({SSHA} by default, {ARGON2} when configured) and ppolicy checks;
///   the other changes are undone when the directory refuses the password.
/// - `hash`: the gateway writes `{SSHA}` (salted SHA-1, a random 8-byte salt) itself, for directories that offer
///   neither; a pre-hashed value defeats ppolicy's quality checks (`pwdCheckQuality: 2` refuses it).
public enum PasswordWriteMethod: String, Sendable, CaseIterable {
    case modify, exop, hash
}

/// The configured choice: a method, or `auto` (decided from what the directory shows at start-up).
public enum PasswordWriteSetting: Sendable, Hashable {
    case auto
    case fixed(PasswordWriteMethod)

    /// `auto`, `modify`, `exop` or `hash` (case-insensitive); nil for anything else.
    public init?(_ text: String) {
        let lowered = text.lowercased()
        if lowered == "auto" {
            self = .auto
        } else if let method = PasswordWriteMethod(rawValue: lowered) {
            self = .fixed(method)
        } else {
            return nil
        }
    }
}

/// The gateway refuses to start rather than store a password in clear text.
public struct PasswordWriteRefusal: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What the directory shows about password hashing, as far as the service account can see.
public struct PasswordWriteEvidence: Sendable, Hashable {
    /// The root DSE lists Password Modify (1.3.6.1.4.1.4203.1.11.1) in `supportedExtension`.
    public var supportsPasswordModify = false
    /// The service account can read the cn=config entry of the database holding the resources.
    public var configReadable = false
    /// That database has a ppolicy overlay with `olcPPolicyHashCleartext: TRUE`.
    public var ppolicyHashesCleartext = false
    /// The frontend's `olcPasswordHash` is `{CLEARTEXT}`: the directory itself stores passwords as sent.
    public var directoryHashIsCleartext = false

    public init(
        supportsPasswordModify: Bool = false, configReadable: Bool = false, ppolicyHashesCleartext: Bool = false,
        directoryHashIsCleartext: Bool = false
    ) {
        self.supportsPasswordModify = supportsPasswordModify
        self.configReadable = configReadable
        self.ppolicyHashesCleartext = ppolicyHashesCleartext
        self.directoryHashIsCleartext = directoryHashIsCleartext
    }
}

/// Picks the password write method from the setting and the evidence, or refuses with a message naming the options.
public enum PasswordWriteDecision {
    static let options =
        "set ldap.passwordWrite to `modify` (the directory hashes: slapd ppolicy with "
        + "olcPPolicyHashCleartext: TRUE), `exop` (Password Modify, RFC 3062) or `hash` (the gateway writes {SSHA})"

    /// `attribute`: the LDAP attribute the mapping stores passwords in (slapd's Password Modify writes only
    /// `userPassword`, and ppolicy hashes only that).
    public static func decide(_ setting: PasswordWriteSetting, attribute: String, evidence: PasswordWriteEvidence)
        throws(PasswordWriteRefusal) -> PasswordWriteMethod
    {
        let isUserPassword = attribute.lowercased() == "userpassword"
        let directoryHashes = !evidence.directoryHashIsCleartext
        switch setting {
        case .fixed(.hash):
            return .hash
        case .fixed(.exop):
            guard isUserPassword else {
                throw PasswordWriteRefusal(
                    "ldap.passwordWrite is exop, but the mapping stores passwords in \(attribute); "
                        + "Password Modify writes only userPassword: use `hash`")
            }
            guard evidence.supportsPasswordModify else {
                throw PasswordWriteRefusal(
                    "ldap.passwordWrite is exop, but the directory does not offer Password Modify "
                        + "(1.3.6.1.4.1.4203.1.11.1 is not in the root DSE's supportedExtension); " + options)
            }
            guard directoryHashes else {
                throw PasswordWriteRefusal(
                    "the directory's olcPasswordHash is {CLEARTEXT}: Password Modify would store "
                        + "passwords as sent; use `hash` or configure a hashing scheme")
            }
            return .exop
        case .fixed(.modify):
            // The administrator vouches for the directory's hashing; refused only when its config shows otherwise.
            if evidence.configReadable, !(isUserPassword && evidence.ppolicyHashesCleartext && directoryHashes) {
                throw PasswordWriteRefusal(
                    "ldap.passwordWrite is modify, but the directory's configuration shows no "
                        + "ppolicy overlay hashing \(attribute) (olcPPolicyHashCleartext: TRUE), so passwords would be stored "
                        + "as sent; " + options)
            }
            return .modify
        case .auto:
            if isUserPassword, evidence.configReadable, evidence.ppolicyHashesCleartext, directoryHashes { return .modify }
            if isUserPassword, evidence.supportsPasswordModify, directoryHashes { return .exop }
            let why =
                !isUserPassword
                ? "the mapping stores passwords in \(attribute), which neither ppolicy nor Password Modify hashes"
                : !directoryHashes
                    ? "the directory's olcPasswordHash is {CLEARTEXT}"
                    : "the directory offers no Password Modify operation and its configuration (cn=config) is not readable to "
                        + "prove that ppolicy hashes passwords"
            throw PasswordWriteRefusal("refusing to start: a password could be stored in clear text (\(why)); " + options)
        }
    }
}
