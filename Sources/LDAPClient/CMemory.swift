internal import CLDAP
import Foundation

// Scoped C memory for libldap calls. Everything here is freed when the owner goes away; pointers are lent only
// inside closures and never escape this module.

/// A NULL-terminated `char **` array of copies of Swift strings.
final class CStringArray {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointer = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointer[index] = strdup(string) }
        pointer[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(pointer[index]) }
        pointer.deallocate()
    }
}

/// A `struct berval` (in stable, manually allocated memory) pointing at a copy of bytes.
final class CBerval {
    let pointer: UnsafeMutablePointer<berval>

    init(_ bytes: [UInt8]) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: makeBerval(bytes))
    }

    deinit {
        pointer.pointee.bv_val?.deallocate()
        pointer.deallocate()
    }
}

private func makeBerval(_ bytes: [UInt8]) -> berval {
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
    bytes.withUnsafeBytes { source in
        if let base = source.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count) }
    }
    return berval(bv_len: ber_len_t(bytes.count), bv_val: buffer)
}

/// A NULL-terminated `struct berval **` array of copies.
final class CBervalArray {
    private let storage: UnsafeMutablePointer<berval>
    private let count: Int
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<berval>?>

    init(_ values: [[UInt8]]) {
        count = values.count
        storage = .allocate(capacity: max(values.count, 1))
        pointer = .allocate(capacity: values.count + 1)
        for (index, value) in values.enumerated() {
            (storage + index).initialize(to: makeBerval(value))
            pointer[index] = storage + index
        }
        pointer[values.count] = nil
    }

    deinit {
        for index in 0..<count { storage[index].bv_val?.deallocate() }
        storage.deallocate()
        pointer.deallocate()
    }
}

/// A NULL-terminated `LDAPMod **` array.
final class CModArray {
    private let types: CStringArray
    private let values: [CBervalArray]
    private let mods: UnsafeMutablePointer<LDAPMod>
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?>
    private let count: Int

    init(_ modifications: [(op: Int32, attribute: String, values: [[UInt8]])]) {
        count = modifications.count
        types = CStringArray(modifications.map(\.attribute))
        values = modifications.map { CBervalArray($0.values) }
        mods = .allocate(capacity: max(count, 1))
        pointer = .allocate(capacity: count + 1)
        for (index, modification) in modifications.enumerated() {
            var mod = LDAPMod()
            mod.mod_op = modification.op | LDAP_MOD_BVALUES
            mod.mod_type = types.pointer[index]
            mod.mod_vals.modv_bvals = modification.values.isEmpty ? nil : values[index].pointer
            (mods + index).initialize(to: mod)
            pointer[index] = mods + index
        }
        pointer[count] = nil
    }

    deinit {
        mods.deinitialize(count: count)
        mods.deallocate()
        pointer.deallocate()
    }
}

/// A NULL-terminated `LDAPControl **` array of controls created by `ldap_control_create`.
final class CControlArray {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
    private let count: Int

    init(_ controls: [UnsafeMutablePointer<LDAPControl>]) {
        count = controls.count
        if controls.isEmpty {
            pointer = nil
            return
        }
        let array = UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>.allocate(capacity: controls.count + 1)
        for (index, control) in controls.enumerated() { array[index] = control }
        array[controls.count] = nil
        pointer = array
    }

    deinit {
        guard let pointer else { return }
        for index in 0..<count { ldap_control_free(pointer[index]) }
        pointer.deallocate()
    }
}

extension berval {
    /// A copy of the bytes (never reads past `bv_len`, never stops at NUL).
    var bytes: [UInt8] {
        guard let base = bv_val, bv_len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: Int(bv_len)))
    }

    /// The bytes as UTF-8 text (invalid sequences repaired), without an intermediate array.
    var string: String {
        guard let base = bv_val, bv_len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: base, count: Int(bv_len)), as: UTF8.self)
    }
}

func timeval(_ duration: Duration) -> timeval {
    let (seconds, attoseconds) = duration.components
    return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
}
