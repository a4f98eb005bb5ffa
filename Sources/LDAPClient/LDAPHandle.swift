internal import CLDAP
internal import CLDAPShim
import Foundation

/// Exactly one owner of one libldap handle. The `send…`, `read…` and `pollResult` methods return at once (see
/// `LDAPReactor`); the others (connecting, binding, Who Am I, transactions) wait for the server: call those only on
/// the connection's own queue (see `LDAPConnection`), never on the cooperative pool or an event loop.
final class LDAPHandle: @unchecked Sendable {  // used by one operation at a time (see LDAPConnection)
    private(set) var ld: OpaquePointer?
    let operationTimeout: Duration
    /// Attribute types (lower case) skipped when entries are read (see `LDAPConfiguration.neverRead`), and their
    /// `LDAPEntry.typeBit`s: most attributes are told apart by the bit, without lower-casing their names.
    let neverRead: Set<String>
    let neverReadBits: UInt64
    /// The socket `LDAPReactor` watches for this handle, once it has; forgotten before the handle closes it.
    var watchedSocket: Int32?

    /// Connects to the first reachable URI, applies TLS options, optionally runs StartTLS, and binds.
    /// libldap initialises its global state on first use, and that first use is not thread-safe: do it once.
    /// Also ignores SIGPIPE: libldap (through GnuTLS) writes to sockets without MSG_NOSIGNAL, and a write to a
    /// connection the server closed would otherwise kill the whole process.
    private static let libraryInitialized: Bool = {
        signal(SIGPIPE, SIG_IGN)
        var version: Int32 = LDAP_VERSION3
        return ldap_set_option(nil, LDAP_OPT_PROTOCOL_VERSION, &version) == LDAP_SUCCESS
    }()

    init(configuration: LDAPConfiguration) throws(LDAPError) {
        _ = Self.libraryInitialized
        operationTimeout = configuration.operationTimeout
        neverRead = configuration.neverRead
        neverReadBits = configuration.neverRead.reduce(0) { $0 | LDAPEntry.typeBit($1) }
        var handle: OpaquePointer?
        let uriList = configuration.uris.joined(separator: " ")
        try Self.check(ldap_initialize(&handle, uriList), "initialize")
        guard let handle else { throw LDAPError(code: .localError, diagnosticMessage: "ldap_initialize returned no handle") }
        ld = handle
        do {
            try configure(configuration)
            if configuration.tls.startTLS && !configuration.uris.allSatisfy({ !$0.lowercased().hasPrefix("ldap://") }) {
                try Self.check(ldap_start_tls_s(handle, nil, nil), "StartTLS", handle: handle)
            }
            try bind(configuration.bind)
            // The blocking calls that follow (Who Am I, transactions) are bounded by the operation timeout.
            var operation = timeval(configuration.operationTimeout)
            try setOption(LDAP_OPT_TIMEOUT, &operation)
            // Fewer read calls per reply; without it libldap still works, one read per header and body. Only on
            // a connected handle (an anonymous "bind" connects nothing yet; the layer would sit under nothing).
            if socket >= 0 { _ = cldap_add_readahead(handle) }
        } catch {
            ldap_unbind_ext_s(handle, nil, nil)
            ld = nil
            throw error
        }
    }

    deinit {
        guard let ld else { return }
        if watchedSocket != nil { LDAPReactor.shared.forget(self) }
        ldap_unbind_ext_s(ld, nil, nil)
    }

    private func configure(_ configuration: LDAPConfiguration) throws(LDAPError) {
        var version: Int32 = LDAP_VERSION3
        try setOption(LDAP_OPT_PROTOCOL_VERSION, &version)
        try Self.check(cldap_set_bool_option(ld, LDAP_OPT_REFERRALS, 0), "referrals option")
        try Self.check(cldap_set_bool_option(ld, LDAP_OPT_RESTART, 1), "restart option")
        var network = timeval(configuration.networkTimeout)
        try setOption(LDAP_OPT_NETWORK_TIMEOUT, &network)
        // StartTLS and bind wait for the server's answer: a server that accepts TCP but never answers (SIGSTOP, a
        // hung disk) would otherwise hold the caller for good. They get the network timeout (LDAP_TIMEOUT after).
        var answer = timeval(configuration.networkTimeout)
        try setOption(LDAP_OPT_TIMEOUT, &answer)
        var keepalive: Int32 = 1
        _ = ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_IDLE, &keepalive)
        let tls = configuration.tls
        var requireCert = tls.requireCertificate.rawValue
        try setOption(LDAP_OPT_X_TLS_REQUIRE_CERT, &requireCert)
        if let caFile = tls.caFile { try setStringOption(LDAP_OPT_X_TLS_CACERTFILE, caFile) }
        if let certFile = tls.certFile { try setStringOption(LDAP_OPT_X_TLS_CERTFILE, certFile) }
        if let keyFile = tls.keyFile { try setStringOption(LDAP_OPT_X_TLS_KEYFILE, keyFile) }
        var isServer: Int32 = 0
        let usesTLS = tls.startTLS || configuration.uris.contains { $0.lowercased().hasPrefix("ldaps://") }
        if usesTLS { try setOption(LDAP_OPT_X_TLS_NEWCTX, &isServer) }
    }

    private func setOption<T>(_ option: Int32, _ value: inout T) throws(LDAPError) {
        let rc = withUnsafeMutablePointer(to: &value) { ldap_set_option(ld, option, $0) }
        try Self.check(rc, "set option \(option)")
    }

    private func setStringOption(_ option: Int32, _ value: String) throws(LDAPError) {
        let rc = value.withCString { ldap_set_option(ld, option, $0) }
        try Self.check(rc, "set option \(option)")
    }

    // MARK: Bind

    func bind(_ bind: LDAPConfiguration.Bind) throws(LDAPError) {
        switch bind {
        case .anonymous:
            return
        case .simple(let dn, let password):
            let credentials = CBerval(Array(password.value.utf8))
            defer { withExtendedLifetime(credentials) {} }  // C pointers lent below
            let rc = dn.withCString { dnPointer in
                ldap_sasl_bind_s(ld, dnPointer, nil, credentials.pointer, nil, nil, nil)
            }
            try checkResult(rc)
        case .saslExternal:
            let empty = CBerval([])
            defer { withExtendedLifetime(empty) {} }  // C pointers lent below
            let rc = ldap_sasl_bind_s(ld, nil, "EXTERNAL", empty.pointer, nil, nil, nil)
            try checkResult(rc)
        }
    }

    // MARK: Operations
    // Each `send…` encodes and writes one request and returns its message id without waiting; the reply is collected
    // by `LDAPReactor` and read by the matching `read…`. Sending is a short write to a socket that, with one operation
    // in flight per connection, always has room: it does not wait for the server.

    /// The socket libldap uses, for `LDAPReactor` to watch.
    var socket: Int32 {
        var descriptor: Int32 = -1
        _ = ldap_get_option(ld, LDAP_OPT_DESC, &descriptor)
        return descriptor
    }

    /// `timeLimited`: false for a search that lasts as long as the consumer wants (content synchronisation's
    /// persist phase), which the operation timeout would otherwise end.
    func sendSearch(
        base: String, scope: LDAPScope, filter: LDAPFilter, attributes: [String],
        sizeLimit: Int, controls: [LDAPRequestControl], timeLimited: Bool = true
    ) throws(LDAPError) -> Int32 {
        let serverControls = try makeControls(controls)
        defer { withExtendedLifetime(serverControls) {} }  // C pointers lent below
        let attrs = CStringArray(attributes.isEmpty ? ["*"] : attributes)
        defer { withExtendedLifetime(attrs) {} }  // C pointers lent below
        var limit = timeval(operationTimeout)
        var msgid: Int32 = 0
        let filterText = filter.description
        let rc = withUnsafeMutablePointer(to: &limit) { limitPointer in
            base.withCString { basePointer in
                filterText.withCString { filterPointer in
                    ldap_search_ext(
                        ld, basePointer, scope.rawValue, filterPointer, attrs.pointer, 0,
                        serverControls.pointer, nil, timeLimited ? limitPointer : nil, Int32(clamping: sizeLimit), &msgid)
                }
            }
        }
        try checkResult(rc)
        return msgid
    }

    func readSearch(_ message: OpaquePointer) throws(LDAPError) -> LDAPSearchResult {
        var entries: [LDAPEntry] = []
        var referrals: [String] = []
        var current = ldap_first_message(ld, message)
        while let item = current {
            switch ldap_msgtype(item) {
            case Int32(LDAP_RES_SEARCH_ENTRY): entries.append(readEntry(item))
            case Int32(LDAP_RES_SEARCH_REFERENCE): referrals += readReferences(item)
            default: break
            }
            current = ldap_next_message(ld, item)
        }
        let (code, responseControls) = try parseResult(message, allowing: [.sizeLimitExceeded])
        return LDAPSearchResult(
            entries: entries, referrals: referrals, controls: responseControls,
            sizeLimitExceeded: code == .sizeLimitExceeded)
    }

    func sendAdd(dn: String, attributes: [(String, [[UInt8]])], controls: [LDAPRequestControl]) throws(LDAPError)
        -> Int32
    {
        let mods = CModArray(attributes.map { (op: LDAP_MOD_ADD, attribute: $0.0, values: $0.1) })
        defer { withExtendedLifetime(mods) {} }  // C pointers lent below
        let serverControls = try makeControls(controls)
        defer { withExtendedLifetime(serverControls) {} }  // C pointers lent below
        var msgid: Int32 = 0
        try checkResult(dn.withCString { ldap_add_ext(ld, $0, mods.pointer, serverControls.pointer, nil, &msgid) })
        return msgid
    }

    func sendModify(dn: String, modifications: [LDAPModification], controls: [LDAPRequestControl]) throws(LDAPError)
        -> Int32
    {
        let mods = CModArray(modifications.map { (op: $0.operation.rawValue, attribute: $0.attribute, values: $0.values) })
        defer { withExtendedLifetime(mods) {} }  // C pointers lent below
        let serverControls = try makeControls(controls)
        defer { withExtendedLifetime(serverControls) {} }  // C pointers lent below
        var msgid: Int32 = 0
        try checkResult(dn.withCString { ldap_modify_ext(ld, $0, mods.pointer, serverControls.pointer, nil, &msgid) })
        return msgid
    }

    func sendRename(
        dn: String, newRDN: String, deleteOldRDN: Bool, newSuperior: String?,
        controls: [LDAPRequestControl]
    ) throws(LDAPError) -> Int32 {
        let serverControls = try makeControls(controls)
        defer { withExtendedLifetime(serverControls) {} }  // C pointers lent below
        var msgid: Int32 = 0
        let rc = dn.withCString { dnPointer in
            newRDN.withCString { rdnPointer in
                withOptionalCString(newSuperior) { superiorPointer in
                    ldap_rename(
                        ld, dnPointer, rdnPointer, superiorPointer, deleteOldRDN ? 1 : 0,
                        serverControls.pointer, nil, &msgid)
                }
            }
        }
        try checkResult(rc)
        return msgid
    }

    func sendDelete(dn: String, controls: [LDAPRequestControl]) throws(LDAPError) -> Int32 {
        let serverControls = try makeControls(controls)
        defer { withExtendedLifetime(serverControls) {} }  // C pointers lent below
        var msgid: Int32 = 0
        try checkResult(dn.withCString { ldap_delete_ext(ld, $0, serverControls.pointer, nil, &msgid) })
        return msgid
    }

    /// The result of an add, modify, rename or delete.
    func readWrite(_ message: OpaquePointer) throws(LDAPError) -> LDAPWriteResult {
        // Inside a transaction slapd answers each queued update with "transaction specification okay".
        let (_, controls) = try parseResult(message, allowing: [.transactionSpecifyOkay])
        return LDAPWriteResult(controls: controls)
    }

    func sendCompare(dn: String, attribute: String, value: [UInt8], controls: [LDAPRequestControl]) throws(LDAPError)
        -> Int32
    {
        let serverControls = try makeControls(controls)
        defer { withExtendedLifetime(serverControls) {} }  // C pointers lent below
        let assertion = CBerval(value)
        defer { withExtendedLifetime(assertion) {} }  // C pointers lent below
        var msgid: Int32 = 0
        let rc = dn.withCString { dnPointer in
            attribute.withCString { attributePointer in
                ldap_compare_ext(ld, dnPointer, attributePointer, assertion.pointer, serverControls.pointer, nil, &msgid)
            }
        }
        try checkResult(rc)
        return msgid
    }

    /// True for compareTrue, false for compareFalse; other results throw.
    func readCompare(_ message: OpaquePointer) throws(LDAPError) -> Bool {
        let (code, _) = try parseResult(message, allowing: [.compareTrue, .compareFalse])
        return code == .compareTrue
    }

    /// Password Modify extended operation (RFC 3062).
    func sendPasswordModify(
        user: String?, oldPassword: LDAPSecret?, newPassword: LDAPSecret?,
        controls: [LDAPRequestControl]
    ) throws(LDAPError) -> Int32 {
        let serverControls = try makeControls(controls)
        defer { withExtendedLifetime(serverControls) {} }  // C pointers lent below
        let userValue = user.map { CBerval(Array($0.utf8)) }
        defer { withExtendedLifetime(userValue) {} }  // C pointers lent below
        let oldValue = oldPassword.map { CBerval(Array($0.value.utf8)) }
        defer { withExtendedLifetime(oldValue) {} }  // C pointers lent below
        let newValue = newPassword.map { CBerval(Array($0.value.utf8)) }
        defer { withExtendedLifetime(newValue) {} }  // C pointers lent below
        var msgid: Int32 = 0
        try checkResult(
            ldap_passwd(
                ld, userValue?.pointer, oldValue?.pointer, newValue?.pointer, serverControls.pointer,
                nil, &msgid))
        return msgid
    }

    /// The generated password of a Password Modify that asked for one, else nil.
    func readPasswordModify(_ message: OpaquePointer) throws(LDAPError) -> LDAPSecret? {
        _ = try parseResult(message, allowing: [])
        var generated = berval()
        guard ldap_parse_passwd(ld, message, &generated) == LDAP_SUCCESS, generated.bv_val != nil else { return nil }
        defer { ber_memfree(generated.bv_val) }
        return generated.bv_len > 0 ? LDAPSecret(String(decoding: generated.bytes, as: UTF8.self)) : nil
    }

    /// Who Am I? (RFC 4532): the authorization identity of this connection (`dn:...`, or empty for anonymous).
    func whoAmI(controls: [LDAPRequestControl]) throws(LDAPError) -> String {
        let serverControls = try makeControls(controls)
        defer { withExtendedLifetime(serverControls) {} }  // C pointers lent below
        var authzid: UnsafeMutablePointer<berval>?
        try checkResult(ldap_whoami_s(ld, &authzid, serverControls.pointer, nil))
        guard let authzid else { return "" }
        defer { ber_bvfree(authzid) }
        return String(decoding: authzid.pointee.bytes, as: UTF8.self)
    }

    /// Starts an LDAP transaction (RFC 5805) and returns its identifier.
    func startTransaction() throws(LDAPError) -> [UInt8] {
        var identifier: UnsafeMutablePointer<berval>?
        try checkResult(ldap_txn_start_s(ld, nil, nil, &identifier))
        guard let identifier else { throw LDAPError(code: .decodingError, diagnosticMessage: "no transaction id") }
        defer { ber_bvfree(identifier) }
        return identifier.pointee.bytes
    }

    /// Commits or aborts a transaction.
    func endTransaction(_ identifier: [UInt8], commit: Bool) throws(LDAPError) {
        let value = CBerval(identifier)
        defer { withExtendedLifetime(value) {} }  // C pointers lent below
        var failedMessageID: Int32 = 0
        try checkResult(ldap_txn_end_s(ld, commit ? 1 : 0, value.pointer, nil, nil, &failedMessageID))
    }

    // MARK: Results

    /// Polls for the complete result of `msgid` without waiting: the message (free it with `free(_:)`), or nil
    /// while it is still incomplete. Called by `LDAPReactor` when the socket is readable. `whole` false takes
    /// the next single message of a streamed reply instead (content synchronisation: entries, intermediate
    /// responses, the final result one by one).
    func pollResult(_ msgid: Int32, whole: Bool = true) throws(LDAPError) -> OpaquePointer? {
        var now = timeval(.zero)
        var message: OpaquePointer?
        let type = ldap_result(ld, msgid, whole ? LDAP_MSG_ALL : LDAP_MSG_ONE, &now, &message)
        if type == 0 { return nil }
        guard type > 0, let message else { throw lastError() }
        return message
    }

    func free(_ message: OpaquePointer) { ldap_msgfree(message) }

    /// Gives up on `msgid` (its time ran out).
    func abandon(_ msgid: Int32) { ldap_abandon_ext(ld, msgid, nil, nil) }

    /// Reads the result code, diagnostics and response controls; throws unless the code is success or allowed.
    func parseResult(_ message: OpaquePointer, allowing allowed: Set<LDAPResultCode>) throws(LDAPError)
        -> (LDAPResultCode, LDAPResponseControls)
    {
        var code: Int32 = 0
        var matched: UnsafeMutablePointer<CChar>?
        var diagnostic: UnsafeMutablePointer<CChar>?
        var serverControls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
        let rc = ldap_parse_result(ld, message, &code, &matched, &diagnostic, nil, &serverControls, 0)
        defer {
            if let matched { ldap_memfree(matched) }
            if let diagnostic { ldap_memfree(diagnostic) }
            if let serverControls { ldap_controls_free(serverControls) }
        }
        try Self.check(rc, "parse result", handle: ld)
        let controls = readControls(serverControls)
        let result = LDAPResultCode(rawValue: code)
        if result != .success && !allowed.contains(result) {
            throw LDAPError(
                code: result, diagnosticMessage: diagnostic.map { String(cString: $0) } ?? "",
                matchedDN: matched.map { String(cString: $0) } ?? "", controls: controls)
        }
        return (result, controls)
    }

    /// Walks the entry's attributes in place (`ldap_get_attribute_ber`: names and values point into the message,
    /// read once, front to back) and copies each value out once.
    func readEntry(_ entry: OpaquePointer) -> LDAPEntry {
        var ber: OpaquePointer?
        var dnValue = berval()
        guard ldap_get_dn_ber(ld, entry, &ber, &dnValue) == LDAP_SUCCESS, let ber else {
            if let ber { ber_free(ber, 0) }  // set before a decoding failure
            return LDAPEntry(dn: "", attributes: [])
        }
        defer { ber_free(ber, 0) }
        let dn = dnValue.string
        var attributes: [LDAPEntry.Attribute] = []
        while true {
            var name = berval()
            var list: UnsafeMutablePointer<berval>?
            guard ldap_get_attribute_ber(ld, entry, ber, &name, &list) == LDAP_SUCCESS, name.bv_val != nil else {
                if let list { ldap_memfree(list) }
                break
            }
            defer { if let list { ldap_memfree(list) } }
            let description = name.string
            if neverReadBits & LDAPEntry.typeBit(description) != 0, neverRead.contains(LDAPEntry.Attribute.typeKey(of: description)) {
                continue
            }
            var values: [[UInt8]] = []
            if let list {
                var index = 0
                while list[index].bv_val != nil {
                    values.append(list[index].bytes)
                    index += 1
                }
            }
            attributes.append(.init(description: description, values: values))
        }
        return LDAPEntry(dn: dn, attributes: attributes)
    }

    private func readReferences(_ message: OpaquePointer) -> [String] {
        var references: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        guard ldap_parse_reference(ld, message, &references, nil, 0) == LDAP_SUCCESS, let references else { return [] }
        defer { ldap_memvfree(UnsafeMutablePointer(OpaquePointer(references))) }
        var out: [String] = []
        var index = 0
        while let reference = references[index] {
            out.append(String(cString: reference))
            index += 1
        }
        return out
    }

    // MARK: Errors

    func checkResult(_ rc: Int32) throws(LDAPError) {
        guard rc != LDAP_SUCCESS else { return }
        throw lastError(rc)
    }

    /// The handle's current error: result code and diagnostic message.
    private func lastError(_ fallback: Int32? = nil) -> LDAPError {
        var code: Int32 = fallback ?? 0
        if fallback == nil { _ = ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &code) }
        var diagnostic: UnsafeMutablePointer<CChar>?
        _ = ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic)
        defer { if let diagnostic { ldap_memfree(diagnostic) } }
        var matched: UnsafeMutablePointer<CChar>?
        _ = ldap_get_option(ld, LDAP_OPT_MATCHED_DN, &matched)
        defer { if let matched { ldap_memfree(matched) } }
        let text = diagnostic.map { String(cString: $0) } ?? String(cString: ldap_err2string(code))
        return LDAPError(
            code: LDAPResultCode(rawValue: code), diagnosticMessage: text,
            matchedDN: matched.map { String(cString: $0) } ?? "")
    }

    static func check(_ rc: Int32, _ what: String, handle: OpaquePointer? = nil) throws(LDAPError) {
        guard rc != LDAP_SUCCESS else { return }
        throw LDAPError(code: LDAPResultCode(rawValue: rc), diagnosticMessage: "\(what): \(String(cString: ldap_err2string(rc)))")
    }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
