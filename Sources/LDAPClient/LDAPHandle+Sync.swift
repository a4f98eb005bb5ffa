internal import CLDAP
internal import CLDAPShim

/// Content synchronisation on the handle: encoding the request, reading each streamed message.
extension LDAPHandle {
    func sendContentSync(
        base: String, scope: LDAPScope, filter: LDAPFilter, attributes: [String], mode: LDAPSyncMode,
        cookie: [UInt8]?
    ) throws(LDAPError) -> Int32 {
        var value = berval()
        let cookieValue = cookie.map(CBerval.init)
        let rc = withExtendedLifetime(cookieValue) { cldap_encode_sync_request(mode.rawValue, cookieValue?.pointer, 0, &value) }
        try Self.check(rc, "encode the sync request")
        defer { ber_memfree(value.bv_val) }
        let control = LDAPRequestControl.raw(oid: LDAPControlOID.syncRequest, value: value.bytes, critical: true)
        return try sendSearch(
            base: base, scope: scope, filter: filter, attributes: attributes, sizeLimit: 0,
            controls: [control], timeLimited: false)
    }

    /// The event one message stands for, nil for messages the feed does not report (references). Throws for a
    /// final result that is an error (e-syncRefreshRequired among them).
    func readSyncMessage(_ message: OpaquePointer) throws(LDAPError) -> LDAPSyncEvent? {
        switch ldap_msgtype(message) {
        case Int32(LDAP_RES_SEARCH_ENTRY):
            // The controls first: reading the attributes in place leaves the message unreadable past them.
            var controls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
            guard ldap_get_entry_controls(ld, message, &controls) == LDAP_SUCCESS, let controls else {
                throw LDAPError(code: .decodingError, diagnosticMessage: "a sync entry without its Sync State control")
            }
            let entry = readEntry(message)
            defer { ldap_controls_free(controls) }
            var index = 0
            while let control = controls[index] {
                index += 1
                guard String(cString: control.pointee.ldctl_oid) == LDAPControlOID.syncState else { continue }
                var state: Int32 = 0
                var uuid = berval()
                var cookie = berval()
                try Self.check(cldap_parse_sync_state(&control.pointee.ldctl_value, &state, &uuid, &cookie), "parse the Sync State control")
                defer {
                    ber_memfree(uuid.bv_val)
                    ber_memfree(cookie.bv_val)
                }
                guard let kind = LDAPSyncEvent.State(rawValue: state) else {
                    throw LDAPError(code: .decodingError, diagnosticMessage: "unknown sync state \(state)")
                }
                return .entry(
                    state: kind, entryUUID: SyncUUID.format(uuid.bytes), entry: entry,
                    cookie: cookie.bv_val == nil ? nil : cookie.bytes)
            }
            throw LDAPError(code: .decodingError, diagnosticMessage: "a sync entry without its Sync State control")
        case Int32(LDAP_RES_INTERMEDIATE):
            var oid: UnsafeMutablePointer<CChar>?
            var data: UnsafeMutablePointer<berval>?
            try Self.check(ldap_parse_intermediate(ld, message, &oid, &data, nil, 0), "parse an intermediate response")
            defer {
                if let oid { ldap_memfree(oid) }
                if let data { ber_bvfree(data) }
            }
            guard let oid, String(cString: oid) == LDAPControlOID.syncInfo, let data else { return nil }
            var kind: Int32 = 0
            var cookie = berval()
            var flag: Int32 = 0
            var uuids: BerVarray?
            try Self.check(cldap_parse_sync_info(data, &kind, &cookie, &flag, &uuids), "parse a Sync Info message")
            defer {
                ber_memfree(cookie.bv_val)
                if let uuids { ber_bvarray_free(uuids) }
            }
            let cookieBytes = cookie.bv_val == nil ? nil : cookie.bytes
            switch kind {
            case 0: return .cookie(cookieBytes ?? [])
            case 1, 2: return flag != 0 ? .refreshDone(cookie: cookieBytes, deletes: kind == 1) : cookieBytes.map { .cookie($0) }
            default:
                var ids: [String] = []
                if let uuids {
                    var index = 0
                    while uuids[index].bv_val != nil {
                        ids.append(SyncUUID.format(uuids[index].bytes))
                        index += 1
                    }
                }
                return .idSet(entryUUIDs: ids, deleted: flag != 0, cookie: cookieBytes)
            }
        case Int32(LDAP_RES_SEARCH_RESULT):
            var code: Int32 = 0
            var serverControls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
            var diagnostic: UnsafeMutablePointer<CChar>?
            try Self.check(ldap_parse_result(ld, message, &code, nil, &diagnostic, nil, &serverControls, 0), "parse the sync result")
            defer {
                if let diagnostic { ldap_memfree(diagnostic) }
                if let serverControls { ldap_controls_free(serverControls) }
            }
            guard code == LDAP_SUCCESS else {
                throw LDAPError(code: LDAPResultCode(rawValue: code), diagnosticMessage: diagnostic.map { String(cString: $0) } ?? "")
            }
            var cookieBytes: [UInt8]?
            var deletes: Int32 = 0
            if let serverControls {
                var index = 0
                while let control = serverControls[index] {
                    index += 1
                    guard String(cString: control.pointee.ldctl_oid) == LDAPControlOID.syncDone else { continue }
                    var cookie = berval()
                    try Self.check(cldap_parse_sync_done(&control.pointee.ldctl_value, &cookie, &deletes), "parse the Sync Done control")
                    if cookie.bv_val != nil { cookieBytes = cookie.bytes }
                    ber_memfree(cookie.bv_val)
                }
            }
            return .done(cookie: cookieBytes, deletes: deletes != 0)
        default:
            return nil
        }
    }
}
