import Foundation
import Testing
import SCIMCore

@Suite("xsd:dateTime")
struct SCIMDateTimeTests {
    @Test(
        "parses",
        arguments: [
            ("2011-05-13T04:42:34Z", 1_305_261_754.0),
            ("2011-05-13T06:42:34+02:00", 1_305_261_754.0),
            ("2011-05-13T04:42:34.250Z", 1_305_261_754.25),
            ("2011-05-13T04:42:34", 1_305_261_754.0),
        ])
    func parses(text: String, epoch: Double) throws {
        let date = try #require(SCIMDateTime.parse(text))
        #expect(abs(date.timeIntervalSince1970 - epoch) < 0.001)
    }

    @Test(
        "rejects",
        arguments: [
            "", "2011-05-13", "2011-13-01T00:00:00Z", "2011-02-30T00:00:00Z", "2011-05-13T04:42:34+2", "x2011-05-13T04:42:34Z",
            "2011-05-13T04:42:34.Z",
        ])
    func rejects(text: String) {
        #expect(SCIMDateTime.parse(text) == nil)
    }

    @Test("formats in UTC")
    func formats() {
        #expect(SCIMDateTime.format(Date(timeIntervalSince1970: 1_305_261_754)) == "2011-05-13T04:42:34Z")
    }
}
