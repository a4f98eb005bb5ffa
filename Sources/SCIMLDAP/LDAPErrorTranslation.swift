import LDAPClient
import SCIMCore

/// LDAP result codes → SCIM errors. Diagnostics never reach the client (they can hold DNs and values): the
/// caller logs `LDAPError.logDescription`; the SCIM detail is generic.
enum LDAPErrorTranslation {
    static func scimError(_ error: LDAPError, resource: String) -> SCIMError {
        switch error.code {
        case .noSuchObject:
            return .notFound("\(resource) not found.")
        case .entryAlreadyExists:
            return .conflict("A \(resource) with this identity already exists.")
        case .constraintViolation:
            if let failure = error.controls.passwordPolicy?.failure { return passwordPolicy(failure) }
            let text = error.diagnosticMessage.lowercased()
            if text.contains("password") { return .invalidValue("The password does not satisfy the password policy.") }
            if text.contains("unique") { return .conflict("A \(resource) with this unique attribute value already exists.") }
            return .invalidValue("A value violates a directory constraint.")
        case .invalidAttributeSyntax, .undefinedAttributeType, .objectClassViolation, .namingViolation,
            .invalidDNSyntax, .noSuchAttribute, .attributeOrValueExists, .notAllowedOnRDN:
            return .invalidValue("The directory refused a value of this \(resource).")
        case .assertionFailed:
            return .preconditionFailed()
        case .insufficientAccessRights, .proxiedAuthorizationDenied:
            return .forbidden()
        case .adminLimitExceeded, .sizeLimitExceeded:
            return .tooMany("The query matches too many resources; narrow the filter.")
        case .serverDown, .connectError, .timeout, .busy, .unavailable:
            return .unavailable("The directory is unavailable; retry later.")
        default:
            return .internal()
        }
    }

    static func passwordPolicy(_ failure: LDAPPasswordPolicyResult.Failure) -> SCIMError {
        switch failure {
        case .passwordTooShort: .invalidValue("The password is too short for the password policy.")
        case .passwordInHistory: .invalidValue("The password was used recently; the password policy requires a new one.")
        case .insufficientPasswordQuality: .invalidValue("The password does not meet the password policy's quality rules.")
        case .passwordTooYoung: .invalidValue("The password was changed too recently to change it again.")
        case .passwordTooLong: .invalidValue("The password is too long for the password policy.")
        case .passwordModNotAllowed, .mustSupplyOldPassword, .changeAfterReset:
            .invalidValue("The password policy does not allow this password change.")
        case .passwordExpired, .accountLocked: .invalidValue("The account's password policy state refuses the change.")
        }
    }
}
