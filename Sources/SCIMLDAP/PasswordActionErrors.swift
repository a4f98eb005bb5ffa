import LDAPClient
import SCIMCore

/// The refusals of a user's own change, named after the rule that refused it.
enum PasswordActionErrors {
    static func ownChange(_ error: LDAPError) -> SCIMError? {
        switch error.controls.passwordPolicy?.failure {
        case .mustSupplyOldPassword?: return .invalidValue("The password policy requires the current password (pwdSafeModify).")
        case .passwordModNotAllowed?: return .forbidden("The password policy does not let users change their password (pwdAllowUserChange).")
        case .passwordTooYoung?: return .invalidValue("The password was changed too recently to change it again (pwdMinAge).")
        case .passwordInHistory?: return .invalidValue("The password was used recently; the password policy requires a new one (pwdInHistory).")
        case .passwordTooShort?: return .invalidValue("The password is too short for the password policy (pwdMinLength).")
        case .insufficientPasswordQuality?: return .invalidValue("The password does not meet the password policy's quality rules (pwdCheckQuality).")
        case .accountLocked?: return .invalidValue("The account is locked; an administrator must unlock it first.")
        default: break
        }
        switch error.code {
        case .invalidCredentials, .unwillingToPerform:
            return .invalidValue("The current password is not correct.")
        default:
            return nil
        }
    }
}
