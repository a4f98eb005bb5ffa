import Foundation
import LDAPClient
import SCIMCore

/// One ppolicy `pwdPolicy` entry, as OpenLDAP 2.5 defines its attributes (absent numbers are 0, as slapd reads them).
struct PasswordPolicy: Sendable, Equatable {
    var dn: String
    var id: String?
    var name: String?
    var attribute: String?
    var csn: String?
    var created: String?
    var modified: String?
    var minAge = 0
    var maxAge = 0
    var inHistory = 0
    var checkQuality = 0
    var minLength = 0
    var maxLength = 0
    var expireWarning = 0
    var graceAuthNLimit = 0
    var graceExpiry = 0
    var lockout = false
    var lockoutDuration = 0
    var maxFailure = 0
    var failureCountInterval = 0
    var mustChange = false
    var allowUserChange = true
    var safeModify = false
    var minDelay = 0
    var maxDelay = 0
    var maxIdle = 0

    /// The attributes read from a policy entry.
    static let attributes = [
        "entryUUID", "cn", "objectClass", "pwdMinAge", "pwdMaxAge", "pwdInHistory", "pwdCheckQuality",
        "pwdMinLength", "pwdMaxLength", "pwdExpireWarning", "pwdGraceAuthNLimit", "pwdGraceExpiry",
        "pwdLockout", "pwdLockoutDuration", "pwdMaxFailure", "pwdFailureCountInterval",
        "pwdMustChange", "pwdAllowUserChange", "pwdSafeModify", "pwdMinDelay", "pwdMaxDelay",
        "pwdMaxIdle", "pwdAttribute", "entryCSN", "createTimestamp", "modifyTimestamp",
    ]

    init(dn: String) { self.dn = dn }

    init?(_ entry: LDAPEntry) {
        guard entry.strings("objectClass").contains(where: { $0.caseInsensitiveEquals("pwdPolicy") }) else { return nil }
        dn = entry.dn
        id = entry.string("entryUUID")
        name = entry.string("cn")
        attribute = entry.string("pwdAttribute")
        csn = entry.string("entryCSN")
        created = entry.string("createTimestamp")
        modified = entry.string("modifyTimestamp")
        func number(_ name: String) -> Int { entry.string(name).flatMap { Int($0) } ?? 0 }
        func flag(_ name: String, _ absent: Bool) -> Bool { entry.string(name).map { $0.uppercased() == "TRUE" } ?? absent }
        minAge = number("pwdMinAge")
        maxAge = number("pwdMaxAge")
        inHistory = number("pwdInHistory")
        checkQuality = number("pwdCheckQuality")
        minLength = number("pwdMinLength")
        maxLength = number("pwdMaxLength")
        expireWarning = number("pwdExpireWarning")
        graceAuthNLimit = number("pwdGraceAuthNLimit")
        graceExpiry = number("pwdGraceExpiry")
        lockout = flag("pwdLockout", false)
        lockoutDuration = number("pwdLockoutDuration")
        maxFailure = number("pwdMaxFailure")
        failureCountInterval = number("pwdFailureCountInterval")
        mustChange = flag("pwdMustChange", false)
        allowUserChange = flag("pwdAllowUserChange", true)
        safeModify = flag("pwdSafeModify", false)
        minDelay = number("pwdMinDelay")
        maxDelay = number("pwdMaxDelay")
        maxIdle = number("pwdMaxIdle")
    }
}

enum GeneralizedTimeDate {
    /// `20261123220102Z` or `20261123220102.123456Z` → a Date (UTC); nil for anything else.
    static func parse(_ value: String) -> Date? {
        LDAPGeneralizedTime.date(from: value)
    }

    static func rfc3339(_ date: Date) -> String {
        GeneralizedTime.rfc3339(GeneralizedTime.format(date)) ?? ""
    }
}
