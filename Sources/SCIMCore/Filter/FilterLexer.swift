/// A token of filter text. Words cover attribute paths, operators, keywords and numbers;
/// the parser decides which by position.
struct FilterToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case word(String)
        case string(String)
        case leftParen, rightParen, leftBracket, rightBracket
    }

    var kind: Kind
    /// Byte offset, for error messages.
    var offset: Int
}

/// Splits filter text into tokens. String literals follow JSON string syntax.
enum FilterLexer {
    static func tokenize(_ text: String, errorType: SCIMErrorType) throws(SCIMError) -> [FilterToken] {
        let bytes = Array(text.utf8)
        var tokens: [FilterToken] = []
        var i = 0
        func fail(_ what: String) -> SCIMError {
            SCIMError(status: 400, scimType: errorType, detail: "Invalid filter at position \(i): \(what).")
        }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D:
                i += 1
            case UInt8(ascii: "("): tokens.append(.init(kind: .leftParen, offset: i)); i += 1
            case UInt8(ascii: ")"): tokens.append(.init(kind: .rightParen, offset: i)); i += 1
            case UInt8(ascii: "["): tokens.append(.init(kind: .leftBracket, offset: i)); i += 1
            case UInt8(ascii: "]"): tokens.append(.init(kind: .rightBracket, offset: i)); i += 1
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard i < bytes.count else { i = start; throw fail("unterminated string") }
                i += 1
                // A literal without escapes or control characters is its bytes; others are read as JSON strings.
                if !bytes[(start + 1)..<(i - 1)].contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\\") }) {
                    tokens.append(.init(kind: .string(String(decoding: bytes[(start + 1)..<(i - 1)], as: UTF8.self)), offset: start))
                    continue
                }
                let literal: JSONValue
                do {
                    literal = try JSONValue.parse(String(decoding: bytes[start..<i], as: UTF8.self), maxDepth: 0)
                } catch {
                    i = start
                    throw fail("invalid string literal")
                }
                guard case .string(let s) = literal else { i = start; throw fail("invalid string literal") }
                tokens.append(.init(kind: .string(s), offset: start))
            default:
                let start = i
                while i < bytes.count, !isDelimiter(bytes[i]) { i += 1 }
                tokens.append(.init(kind: .word(String(decoding: bytes[start..<i], as: UTF8.self)), offset: start))
            }
        }
        return tokens
    }

    private static func isDelimiter(_ b: UInt8) -> Bool {
        switch b {
        case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"),
            UInt8(ascii: "\""):
            true
        default: false
        }
    }
}
