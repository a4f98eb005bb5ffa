import Foundation
import OrderedCollections
import Testing
@testable import SCIMCore

@Suite("JSONValue")
struct JSONValueTests {
    @Test("integers stay integers, other numbers stay numbers", arguments: [
        ("42", JSONValue.integer(42)),
        ("-7", .integer(-7)),
        ("0", .integer(0)),
        ("1.5", .number(1.5)),
        ("1e3", .number(1000)),
        ("-0.25E-2", .number(-0.0025)),
        ("9223372036854775807", .integer(Int64.max)),
        ("9223372036854775808", .number(9223372036854775808)),
    ])
    func numbers(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(text) == expected)
    }

    @Test("round trip keeps member order and does not escape slashes")
    func roundTrip() throws {
        let text = #"{"z":1,"a":[true,false,null],"m":"a/b \"q\" \\ é 😀","n":2.5,"o":{}}"#
        let value = try JSONValue.parse(text)
        #expect(value.jsonString() == text)
        #expect(value.memberNames == ["z", "a", "m", "n", "o"])
    }

    @Test("control characters and line separators are escaped")
    func escapes() {
        let value = JSONValue.string("a\u{01}\n\u{2028}")
        #expect(value.jsonString() == #""a\u0001\n\u2028""#)
    }

    @Test("every string reads back as itself, and escapes what JSON and JavaScript need")
    func stringsRoundTrip() throws {
        var all = ""
        for value in 0..<0x80 { all.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        all += "é€😀\u{2028}x\u{2029}\u{2027}\u{E000}"
        let encoded = JSONValue.string(all).jsonString()
        #expect(try JSONValue.parse(encoded) == .string(all))
        // Foundation's reader agrees with ours.
        let foundation = try JSONSerialization.jsonObject(with: Data(encoded.utf8), options: [.fragmentsAllowed]) as? String
        #expect(foundation == all)
        #expect(!encoded.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{2028}" || $0 == "\u{2029}" })
        #expect(encoded.contains("\u{2027}"))  // not a line separator: kept as it is
        #expect(JSONValue.string("tab\there").jsonString() == #""tab\there""#)
        #expect(Array(JSONValue.object(["k": .array([.bool(true), .null, .integer(-3)])]).jsonBytes()) == Array(#"{"k":[true,null,-3]}"#.utf8))
    }

    @Test("integral doubles encode as numbers, not integers")
    func integralDouble() throws {
        #expect(JSONValue.number(3).jsonString() == "3.0")
        #expect(try JSONValue.parse(JSONValue.number(3).jsonString()) == .number(3))
        #expect(JSONValue.number(.nan).jsonString() == "null")
    }

    @Test("unicode escapes, surrogate pairs included")
    func unicodeEscapes() throws {
        #expect(try JSONValue.parse(#""\u00e9\ud83d\ude00\/""#) == .string("é😀/"))
    }

    @Test("malformed documents are 400 invalidSyntax", arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "'x'", "tru", "nul", "01", "1.", ".5",
        "-", "1e", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{01}\"", "[1] 2",
        "{\"a\":1,\"a\":2}", "NaN", "Infinity", "1e999", "[\"\\", "{\"a\":[}",
    ])
    func malformed(text: String) {
        do {
            _ = try JSONValue.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.status == 400)
            #expect(error.scimType == .invalidSyntax)
        }
    }

    @Test("invalid UTF-8 is rejected")
    func invalidUTF8() {
        #expect(throws: SCIMError.self) { _ = try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
    }

    @Test("depth limit", arguments: [(31, true), (32, true), (33, false), (100_000, false)])
    func depth(levels: Int, accepted: Bool) {
        let text = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
        let result = Result { () throws(SCIMError) in try JSONValue.parse(Data(text.utf8), maxDepth: 32, maxBytes: 1 << 20) }
        switch result {
        case .success: #expect(accepted)
        case .failure(let error):
            #expect(!accepted)
            #expect(error.scimType == .invalidSyntax)
        }
    }

    @Test("size limit")
    func size() {
        let data = Data(("\"" + String(repeating: "x", count: 100) + "\"").utf8)
        #expect(throws: SCIMError.self) { _ = try JSONValue.parse(data, maxDepth: 4, maxBytes: 50) }
        #expect((try? JSONValue.parse(data, maxDepth: 4, maxBytes: 102)) != nil)
    }

    @Test("random bytes never crash the parser")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,\ 0123456789-+.eEtruefalsnl"#.utf8) + [0xC3, 0xFF, 0x00]
        for _ in 0..<3000 {
            let count = Int.random(in: 0..<40, using: &generator)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? JSONValue.parse(Data(bytes), maxDepth: 8, maxBytes: 1000)
        }
    }

    @Test("boolValue accepts Entra's strings", arguments: [
        (JSONValue.bool(true), true as Bool?), (.bool(false), false), (.string("True"), true), (.string("False"), false),
        (.string("true"), true), (.string("FALSE"), false), (.string("yes"), nil), (.integer(1), nil), (.null, nil),
    ])
    func boolValue(value: JSONValue, expected: Bool?) {
        #expect(value.boolValue == expected)
    }

    @Test("member lookup ignores case, exact match first")
    func lookup() {
        let value: JSONValue = ["userName": "a", "USERNAME": "b", "Title": "t"]
        #expect(value["userName"] == "a")
        #expect(value["USERNAME"] == "b")
        #expect(value["title"] == "t")
        #expect(value["missing"] == nil)
        #expect(value.member(named: "TITLE")?.key == "Title")
    }

    @Test("object equality ignores member order, hash agrees")
    func equality() {
        let a: JSONValue = ["a": 1, "b": [2, 3]]
        let b: JSONValue = ["b": [2, 3], "a": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["a": 1, "b": [3, 2]])
        #expect(JSONValue.integer(1) != .number(1))
    }

    @Test("Codable bridge")
    func codable() throws {
        let value: JSONValue = ["n": 1, "d": 1.5, "s": "x", "b": true, "z": nil, "a": [1]]
        let data = try JSONEncoder().encode(value)
        let back = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(back == value)
    }
}
