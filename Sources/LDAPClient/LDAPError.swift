/// A failed LDAP operation: the result code, the server's diagnostic message and matched DN.
///
/// `description` names only the code: diagnostics may contain DNs and values, so they are meant for logs
/// (`diagnosticMessage`), never for end users.
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    public let code: LDAPResultCode
    public let diagnosticMessage: String
    public let matchedDN: String
    /// Controls that came with the failed result (for example the password policy response).
    public let controls: LDAPResponseControls

    public init(
        code: LDAPResultCode, diagnosticMessage: String = "", matchedDN: String = "",
        controls: LDAPResponseControls = LDAPResponseControls()
    ) {
        self.code = code
        self.diagnosticMessage = diagnosticMessage
        self.matchedDN = matchedDN
        self.controls = controls
    }

    /// The pool refused the call without contacting the directory, because it is known to be down.
    public static func directoryUnavailable(_ detail: String) -> LDAPError {
        LDAPError(code: .serverDown, diagnosticMessage: detail)
    }

    public var description: String { "LDAP error \(code.rawValue)" }

    /// Full text for logs: code, diagnostic and matched DN.
    public var logDescription: String {
        var text = "LDAP result \(code.rawValue)"
        if !diagnosticMessage.isEmpty { text += ": \(diagnosticMessage)" }
        if !matchedDN.isEmpty { text += " (matched \(matchedDN))" }
        return text
    }
}
