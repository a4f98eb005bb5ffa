import Foundation
import LDAPClient
import Testing

/// GeneralizedTime to and from Date by arithmetic, checked against Foundation's Gregorian calendar.
@Suite("GeneralizedTime conversion")
struct GeneralizedTimeUnitTests {
    static func calendarString(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    @Test func formatsAndParsesLikeTheCalendar() {
        var generator = SystemRandomNumberGenerator()
        // Fixed edges (epoch, leap days, century rules, before 1970) and random instants up to year 2400.
        var instants: [Double] = [0, -1, 951_782_400, 951_868_799, 4_107_542_400, 1_796_316_312, -2_208_988_800, 253_402_300_799]
        for _ in 0..<2000 { instants.append(Double(Int64.random(in: -2_208_988_800...13_569_465_600, using: &generator))) }
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            let text = LDAPGeneralizedTime.string(from: date)
            #expect(text == Self.calendarString(date), "\(instant)")
            #expect(LDAPGeneralizedTime.date(from: text) == date, "\(text)")
        }
    }

    @Test func readsFractionsAndRefusesWhatIsNotADate() {
        #expect(LDAPGeneralizedTime.date(from: "20261203164512.250000Z") == Date(timeIntervalSince1970: 1_796_316_312.25))
        #expect(LDAPGeneralizedTime.string(from: Date(timeIntervalSince1970: 1_796_316_312.9)) == "20261203164512Z")
        for bad in [
            "", "2026", "20261203164512", "20260230120000Z", "20261301120000Z", "20261203246000Z", "2026120316451xZ",
            "20261203164512.Z", "20261203164512.5x0Z", "20261203164512+0100",
        ] {
            #expect(LDAPGeneralizedTime.date(from: bad) == nil, "\(bad)")
        }
        // February 29th only in leap years (2000 yes, 1900 and 2100 no).
        #expect(LDAPGeneralizedTime.date(from: "20000229000000Z") != nil)
        #expect(LDAPGeneralizedTime.date(from: "19000229000000Z") == nil)
        #expect(LDAPGeneralizedTime.date(from: "21000229000000Z") == nil)
    }
}
