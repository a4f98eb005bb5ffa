import Foundation

/// GeneralizedTime (RFC 4517 §3.3.13) in UTC, to and from `Date`, by calendar arithmetic: no Calendar or
/// formatter per call (the provisioning state writes two per pushed resource).
public enum LDAPGeneralizedTime {
    /// `20261203164512Z` (whole seconds, UTC).
    public static func string(from date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        var out: [UInt8] = []
        out.reserveCapacity(15)
        func put(_ value: Int64, _ width: Int) {
            var digits: [UInt8] = []
            var value = value
            for _ in 0..<width {
                digits.append(UInt8(ascii: "0") + UInt8(value % 10))
                value /= 10
            }
            out += digits.reversed()
        }
        put(year, 4)
        put(month, 2)
        put(day, 2)
        put(rest / 3600, 2)
        put(rest / 60 % 60, 2)
        put(rest % 60, 2)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYYMMDDHHMMSS` followed by an optional fraction (`.123456`) and `Z`, as slapd writes it; nil for
    /// anything else, including impossible dates (`20260230…`). Offsets other than `Z` are not accepted.
    public static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 15, bytes.last == UInt8(ascii: "Z") else { return nil }
        var fields: [Int64] = []
        var position = 0
        for width in [4, 2, 2, 2, 2, 2] {
            var value: Int64 = 0
            for byte in bytes[position..<position + width] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            fields.append(value)
            position += width
        }
        let (year, month, day, hour, minute, second) = (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5])
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard civil(fromDays: days) == (year, month, day) else { return nil }
        var fraction = 0.0
        let tail = bytes[position..<bytes.count - 1]
        if !tail.isEmpty {
            guard tail.first == UInt8(ascii: "."), tail.count > 1,
                tail.dropFirst().allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let value = Double("0" + String(decoding: tail, as: UTF8.self))
            else { return nil }
            fraction = value
        }
        let total = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59)
        return Date(timeIntervalSince1970: Double(total) + fraction)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years, years starting in March).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let monthFromMarch = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `daysFromCivil`.
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (month <= 2 ? yearOfEra + era * 400 + 1 : yearOfEra + era * 400, month, day)
    }
}
