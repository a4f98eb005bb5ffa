public import OrderedCollections

extension JSONValue {
    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean, if this is a boolean or one of the strings `"true"`/`"false"` in any
    /// letter case (Microsoft Entra ID sends `"True"` and `"False"`).
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s):
            switch s.lowercased() {
            case "true": return true
            case "false": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// The integer, if this is an integer or a number with an integral value that fits.
    public var int64Value: Int64? {
        switch self {
        case .integer(let i): return i
        case .number(let d):
            guard d.isFinite, d.rounded() == d, let i = Int64(exactly: d) else { return nil }
            return i
        default: return nil
        }
    }

    /// The numeric value as a `Double`, for integers and numbers.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: OrderedDictionary<String, JSONValue>? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Member names in order, when this is an object.
    public var memberNames: [String]? {
        guard case .object(let o) = self else { return nil }
        return Array(o.keys)
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// True for `null`, an empty array and an empty object: the values RFC 7643 §2.5
    /// treats as "unassigned".
    public var isUnassigned: Bool {
        switch self {
        case .null: return true
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        default: return false
        }
    }

    /// The member whose name equals `name` ignoring letter case; an exact match wins.
    public func member(named name: String) -> (key: String, value: JSONValue)? {
        guard case .object(let o) = self else { return nil }
        return o.caseInsensitiveMember(name)
    }

    /// Case-insensitive member lookup (SCIM attribute names are case-insensitive).
    /// Returns nil when this is not an object or the member is absent.
    public subscript(key: String) -> JSONValue? {
        member(named: key)?.value
    }

    /// The element at `index`, when this is an array and the index is in range.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let a) = self, a.indices.contains(index) else { return nil }
        return a[index]
    }
}

extension OrderedDictionary where Key == String {
    /// Exact match first, then the first key equal ignoring case.
    public func caseInsensitiveMember(_ name: String) -> (key: String, value: Value)? {
        if let v = self[name] { return (name, v) }
        for (k, v) in self where k.caseInsensitiveEquals(name) {
            return (k, v)
        }
        return nil
    }
}

extension String {
    /// `caseInsensitiveEquals` for two strings, on their UTF-8 bytes in place: the common case of every attribute
    /// and schema look-up.
    public func caseInsensitiveEquals(_ other: String) -> Bool {
        let left = utf8.span
        let right = other.utf8.span
        if left.count == right.count {
            for index in 0..<left.count {
                let a = left[index]
                let b = right[index]
                if a == b { continue }
                guard a < 0x80, b < 0x80 else { return lowercased() == other.lowercased() }
                let folded = a | 0x20
                if folded != b | 0x20 || folded < 0x61 || folded > 0x7A { return false }
            }
            return true
        }
        // Lengths differ: equal only through non-ASCII case folding, which may change lengths.
        for index in 0..<left.count where left[index] >= 0x80 { return lowercased() == other.lowercased() }
        for index in 0..<right.count where right[index] >= 0x80 { return lowercased() == other.lowercased() }
        return false
    }
}

extension StringProtocol {
    /// Equality under simple case folding, as SCIM uses for attribute names and URNs.
    /// ASCII (every attribute name and schema URN in practice) is compared byte by byte without allocating;
    /// anything else falls back to full lower-casing.
    public func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool {
        var left = self.utf8.makeIterator()
        var right = other.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil):
                return true
            case (let a?, let b?) where a < 0x80 && b < 0x80:
                if a == b { continue }
                let la = a &+ (a >= 0x41 && a <= 0x5A ? 32 : 0)
                let lb = b &+ (b >= 0x41 && b <= 0x5A ? 32 : 0)
                if la != lb { return false }
            case (let a?, let b?) where a >= 0x80 || b >= 0x80:
                return self.lowercased() == other.lowercased()
            default:
                // One ended: equal only if the rest of the other is not ASCII (case folding may change lengths).
                if self.utf8.contains(where: { $0 >= 0x80 }) || other.utf8.contains(where: { $0 >= 0x80 }) {
                    return self.lowercased() == other.lowercased()
                }
                return false
            }
        }
    }
}
