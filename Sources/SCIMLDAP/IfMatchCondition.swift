import LDAPClient
import SCIMCore

/// A client's If-Match on a write, decided in one place. The version it names is compared with the entry's
/// `entryCSN` inside the write operation itself (the LDAP Assertion control, so check and write are one step), or,
/// where the operation cannot carry that control (a rename, Password Modify, a modify of an attribute slapd's unique
/// overlay checks with the operation's controls), right before it against the entry as read.
struct IfMatchCondition: Sendable, Hashable {
    /// The version the client expects (without `W/` and quotes); nil: the write is unconditional.
    let version: String?

    init(_ version: String?) { self.version = version }

    /// 412 when `entry`'s version is not the one the client expects.
    func verify(_ entry: LDAPEntry) throws(SCIMError) {
        if let version, EntryDecoder.version(entry) != version { throw SCIMError.preconditionFailed() }
    }

    /// The controls that make a write conditional. With `inOperation` the Assertion control carries the check;
    /// otherwise `current` (the entry the write was planned from) is compared now and no control is needed.
    func controls(current: LDAPEntry?, inOperation: Bool = true) throws(SCIMError) -> [LDAPRequestControl] {
        guard let version else { return [] }
        if !inOperation, let current {
            try verify(current)
            return []
        }
        return [Self.assertion(version)]
    }

    /// The Assertion control that holds a write to `version`.
    static func assertion(_ version: String) -> LDAPRequestControl { .assertion(.equal("entryCSN", version)) }
}
