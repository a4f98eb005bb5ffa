public import Foundation

/// `xsd:dateTime` values as SCIM uses them (RFC 7643 §2.3.5), e.g. `2011-05-13T04:42:34Z`,
/// with optional fractional seconds and a `Z` or `±hh:mm` offset. Without an offset the
/// time is taken as UTC.
public enum SCIMDateTime {
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func take(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2),
            take("T") || take("t"), let hour = digits(2), take(":"), let minute = digits(2), take(":"),
            let second = digits(2)
        else { return nil }
        var fraction = 0.0
        if take(".") {
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offset = 0
        if take("Z") || take("z") {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), take(":"), let om = digits(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        }
        guard i == b.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = min(second, 59)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard let date = calendar.date(from: components),
            calendar.component(.day, from: date) == day  // rejects 2021-02-30
        else { return nil }
        return date.addingTimeInterval(fraction - Double(offset))
    }

    /// `2011-05-13T04:42:34Z`, or with milliseconds when the date has a fraction.
    public static func format(_ date: Date) -> String {
        var style = Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 0)!)
        if date.timeIntervalSince1970.rounded() != date.timeIntervalSince1970 {
            style = style.time(includingFractionalSeconds: true)
        }
        return date.formatted(style)
    }
}
