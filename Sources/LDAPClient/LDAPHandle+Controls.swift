internal import CLDAP
internal import CLDAPShim
import Foundation

extension LDAPHandle {
    /// Encodes request controls into libldap controls owned by the returned array.
    func makeControls(_ controls: [LDAPRequestControl]) throws(LDAPError) -> CControlArray {
        var created: [UnsafeMutablePointer<LDAPControl>] = []
        do {
            for control in controls { created.append(try makeControl(control)) }
        } catch {
            for pointer in created { ldap_control_free(pointer) }
            throw error
        }
        return CControlArray(created)
    }

    private func makeControl(_ control: LDAPRequestControl) throws(LDAPError) -> UnsafeMutablePointer<LDAPControl> {
        switch control {
        case .pagedResults(let size, let cookie):
            let cookieValue = CBerval(cookie)
            defer { withExtendedLifetime(cookieValue) {} }  // C pointers lent below
            return try encoded(LDAPControlOID.pagedResults, critical: true) { value in
                ldap_create_page_control_value(ld, ber_int_t(clamping: size), cookieValue.pointer, value)
            }
        case .serverSideSort(let keys):
            return try sortControl(keys)
        case .virtualListView(let before, let after, let offset, let contentCount, let context):
            let contextValue = context.map(CBerval.init)
            defer { withExtendedLifetime(contextValue) {} }  // C pointers lent below
            var info = LDAPVLVInfo()
            info.ldvlv_version = 1
            info.ldvlv_before_count = ber_int_t(clamping: before)
            info.ldvlv_after_count = ber_int_t(clamping: after)
            info.ldvlv_offset = ber_int_t(clamping: offset)
            info.ldvlv_count = ber_int_t(clamping: contentCount)
            info.ldvlv_attrvalue = nil
            info.ldvlv_context = contextValue?.pointer
            return try encoded(LDAPControlOID.virtualListView, critical: true) { value in
                ldap_create_vlv_control_value(ld, &info, value)
            }
        case .assertion(let filter):
            let text = filter.description
            return try encoded(LDAPControlOID.assertion, critical: true) { value in
                text.withCString { ldap_create_assertion_control_value(ld, UnsafeMutablePointer(mutating: $0), value) }
            }
        case .preRead(let attributes), .postRead(let attributes):
            let oid = if case .preRead = control { LDAPControlOID.preRead } else { LDAPControlOID.postRead }
            let list = CStringArray(attributes)
            defer { withExtendedLifetime(list) {} }  // C pointers lent below
            return try encoded(oid, critical: true) { value in cldap_encode_attribute_selection(list.pointer, value) }
        case .proxiedAuthorization(let authzID):
            return try plain(LDAPControlOID.proxiedAuthorization, value: Array(authzID.utf8), critical: true)
        case .passwordPolicy:
            return try plain(LDAPControlOID.passwordPolicy, value: nil, critical: false)
        case .raw(let oid, let value, let critical):
            return try plain(oid, value: value, critical: critical)
        }
    }

    private func sortControl(_ keys: [LDAPSortKey]) throws(LDAPError) -> UnsafeMutablePointer<LDAPControl> {
        let names = CStringArray(keys.map(\.attribute))
        defer { withExtendedLifetime(names) {} }  // C pointers lent below
        let rules = CStringArray(keys.map { $0.orderingRule ?? "" })
        defer { withExtendedLifetime(rules) {} }  // C pointers lent below
        let storage = UnsafeMutablePointer<LDAPSortKey_C>.allocate(capacity: max(keys.count, 1))
        let list = UnsafeMutablePointer<UnsafeMutablePointer<LDAPSortKey_C>?>.allocate(capacity: keys.count + 1)
        defer {
            storage.deallocate()
            list.deallocate()
        }
        for (index, key) in keys.enumerated() {
            (storage + index).initialize(
                to: LDAPSortKey_C(
                    attributeType: names.pointer[index],
                    orderingRule: key.orderingRule == nil ? nil : rules.pointer[index],
                    reverseOrder: key.reverse ? 1 : 0))
            list[index] = storage + index
        }
        list[keys.count] = nil
        return try encoded(LDAPControlOID.serverSideSort, critical: true) { value in
            ldap_create_sort_control_value(ld, list, value)
        }
    }

    /// Runs a libldap `ldap_create_*_control_value` function and wraps its value in a control.
    private func encoded(_ oid: String, critical: Bool, _ encode: (UnsafeMutablePointer<berval>) -> Int32)
        throws(LDAPError) -> UnsafeMutablePointer<LDAPControl>
    {
        var value = berval()
        try checkResult(encode(&value))
        defer { ber_memfree(value.bv_val) }
        var control: UnsafeMutablePointer<LDAPControl>?
        try checkResult(ldap_control_create(oid, critical ? 1 : 0, &value, 1, &control))
        guard let control else { throw LDAPError(code: .noMemory) }
        return control
    }

    private func plain(_ oid: String, value: [UInt8]?, critical: Bool) throws(LDAPError)
        -> UnsafeMutablePointer<LDAPControl>
    {
        let encodedValue = value.map(CBerval.init)
        defer { withExtendedLifetime(encodedValue) {} }  // C pointers lent below
        var control: UnsafeMutablePointer<LDAPControl>?
        try checkResult(ldap_control_create(oid, critical ? 1 : 0, encodedValue?.pointer, 1, &control))
        guard let control else { throw LDAPError(code: .noMemory) }
        return control
    }

    /// Decodes the response controls this client understands; unknown ones are ignored.
    func readControls(_ controls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?) -> LDAPResponseControls {
        var out = LDAPResponseControls()
        guard let controls else { return out }
        var index = 0
        while let control = controls[index] {
            index += 1
            let oid = String(cString: control.pointee.ldctl_oid)
            switch oid {
            case LDAPControlOID.pagedResults:
                var estimate: ber_int_t = 0
                var cookie = berval()
                if ldap_parse_pageresponse_control(ld, control, &estimate, &cookie) == LDAP_SUCCESS {
                    out.pagedResultsCookie = cookie.bytes
                    out.pagedResultsEstimate = Int(estimate)
                    ber_memfree(cookie.bv_val)
                }
            case LDAPControlOID.serverSideSortResponse:
                var result: ber_int_t = 0
                var attribute: UnsafeMutablePointer<CChar>?
                if ldap_parse_sortresponse_control(ld, control, &result, &attribute) == LDAP_SUCCESS {
                    out.sortResult = LDAPResultCode(rawValue: result)
                    if let attribute { ldap_memfree(attribute) }
                }
            case LDAPControlOID.virtualListViewResponse:
                var target: ber_int_t = 0
                var count: ber_int_t = 0
                var context: UnsafeMutablePointer<berval>?
                var result: Int32 = 0
                if ldap_parse_vlvresponse_control(ld, control, &target, &count, &context, &result) == LDAP_SUCCESS {
                    out.vlvTargetPosition = Int(target)
                    out.vlvContentCount = Int(count)
                    out.vlvResult = LDAPResultCode(rawValue: result)
                    if let context {
                        out.vlvContext = context.pointee.bytes
                        ber_bvfree(context)
                    }
                }
            case LDAPControlOID.preRead:
                out.preRead = readEntryControl(control)
            case LDAPControlOID.postRead:
                out.postRead = readEntryControl(control)
            case LDAPControlOID.passwordPolicy:
                var expire: ber_int_t = -1
                var grace: ber_int_t = -1
                var failure = PP_noError
                if ldap_parse_passwordpolicy_control(ld, control, &expire, &grace, &failure) == LDAP_SUCCESS {
                    out.passwordPolicy = LDAPPasswordPolicyResult(
                        failure: failure == PP_noError ? nil : .init(rawValue: Int32(failure.rawValue)),
                        secondsUntilExpiration: expire >= 0 ? Int(expire) : nil,
                        graceAuthenticationsRemaining: grace >= 0 ? Int(grace) : nil)
                }
            default:
                break
            }
        }
        return out
    }

    private func readEntryControl(_ control: UnsafeMutablePointer<LDAPControl>) -> LDAPEntry? {
        var dn = berval()
        var attributes: UnsafeMutablePointer<cldap_read_attr>?
        var count: Int32 = 0
        guard cldap_parse_read_entry(&control.pointee.ldctl_value, &dn, &attributes, &count) == LDAP_SUCCESS else {
            return nil
        }
        defer { cldap_free_read_entry(&dn, attributes, count) }
        var out: [LDAPEntry.Attribute] = []
        for index in 0..<Int(count) {
            guard let attribute = attributes?[index] else { continue }
            let description = String(decoding: attribute.name.bytes, as: UTF8.self)
            if neverReadBits & LDAPEntry.typeBit(description) != 0, neverRead.contains(LDAPEntry.Attribute.typeKey(of: description)) {
                continue
            }
            let values = (0..<Int(attribute.count)).map { attribute.values[$0].bytes }
            out.append(.init(description: description, values: values))
        }
        return LDAPEntry(dn: String(decoding: dn.bytes, as: UTF8.self), attributes: out)
    }
}

/// libldap's `LDAPSortKey`, renamed so it does not clash with the public Swift `LDAPSortKey`.
typealias LDAPSortKey_C = CLDAP.ldapsortkey
