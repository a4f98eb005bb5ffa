/// Recursive-descent parser for RFC 7644 §3.4.2.2 filters and §3.5.2 PATCH paths.
///
///     filter  = or
///     or      = and *("or" and)
///     and     = unary *("and" unary)
///     unary   = "not" "(" filter ")" / "(" filter ")" / attrExp / valuePath
///     attrExp = attrPath "pr" / attrPath compareOp compValue
///     valuePath = attrPath "[" filter "]" ["." subAttr (compareOp compValue / "pr")]
///
/// Recursion only happens through "(", "not" and "[", each of which counts against
/// `limits.maxDepth`, so the stack stays bounded whatever the input.
struct FilterParser {
    private let tokens: [FilterToken]
    private let limits: FilterLimits
    private let textLength: Int
    private var index = 0
    private var terms = 0

    init(text: String, limits: FilterLimits, errorType: SCIMErrorType) throws(SCIMError) {
        textLength = text.utf8.count
        guard textLength <= limits.maxLength else {
            throw SCIMError(
                status: 400, scimType: errorType,
                detail: "The filter is longer than \(limits.maxLength) characters."
            )
        }
        self.limits = limits
        self.tokens = try FilterLexer.tokenize(text, errorType: errorType == .invalidPath ? .invalidFilter : errorType)
    }

    // MARK: Entry points

    mutating func parseWholeFilter() throws(SCIMError) -> SCIMFilter {
        guard !tokens.isEmpty else { throw Self.error("The filter is empty.") }
        let filter = try parseOr(depth: 0, inValuePath: false)
        if let extra = peek { throw Self.error("Unexpected \(Self.describe(extra)) at position \(extra.offset).") }
        return filter
    }

    mutating func parsePatchPath() throws(SCIMError) -> AttributePath {
        guard case .word(let text)? = peek?.kind else { throw pathError("The path is empty or malformed.") }
        index += 1
        var path = try AttributePath.split(Substring(text), errorType: .invalidPath)
        if peek?.kind == .leftBracket {
            guard path.subAttribute == nil else { throw pathError("A value filter must follow a top-level attribute.") }
            index += 1
            path.valueFilter = try parseOr(depth: 1, inValuePath: true)
            try expect(.rightBracket, "]")
            if case .word(let sub)? = peek?.kind, sub.hasPrefix(".") {
                index += 1
                let name = sub.dropFirst()
                guard AttributePath.isAttributeName(name) else { throw pathError("Invalid sub-attribute \"\(name.prefix(200))\".") }
                path.subAttribute = String(name)
            }
        }
        guard peek == nil else { throw pathError("Unexpected text after the path.") }
        return path
    }

    // MARK: Grammar

    private mutating func parseOr(depth: Int, inValuePath: Bool) throws(SCIMError) -> SCIMFilter {
        var left = try parseAnd(depth: depth, inValuePath: inValuePath)
        while isKeyword("or") {
            index += 1
            left = .or(left, try parseAnd(depth: depth, inValuePath: inValuePath))
        }
        return left
    }

    private mutating func parseAnd(depth: Int, inValuePath: Bool) throws(SCIMError) -> SCIMFilter {
        var left = try parseUnary(depth: depth, inValuePath: inValuePath)
        while isKeyword("and") {
            index += 1
            left = .and(left, try parseUnary(depth: depth, inValuePath: inValuePath))
        }
        return left
    }

    private mutating func parseUnary(depth: Int, inValuePath: Bool) throws(SCIMError) -> SCIMFilter {
        guard let token = peek else { throw Self.error("The filter ends where an expression was expected.") }
        switch token.kind {
        case .word(let w) where w.caseInsensitiveEquals("not"):
            index += 1
            guard peek?.kind == .leftParen else { throw Self.error("\"not\" must be followed by \"(\" at position \(token.offset).") }
            index += 1
            try checkDepth(depth + 1)
            let inner = try parseOr(depth: depth + 1, inValuePath: inValuePath)
            try expect(.rightParen, ")")
            return .not(inner)
        case .leftParen:
            index += 1
            try checkDepth(depth + 1)
            let inner = try parseOr(depth: depth + 1, inValuePath: inValuePath)
            try expect(.rightParen, ")")
            return inner
        case .word(let w):
            index += 1
            return try parseAttributeExpression(pathText: w, offset: token.offset, depth: depth, inValuePath: inValuePath)
        default:
            throw Self.error("Unexpected \(Self.describe(token)) at position \(token.offset).")
        }
    }

    private mutating func parseAttributeExpression(
        pathText: String, offset: Int, depth: Int, inValuePath: Bool
    ) throws(SCIMError) -> SCIMFilter {
        if Self.isReserved(pathText) {
            throw Self.error("Expected an attribute name at position \(offset), found \"\(pathText)\".")
        }
        let path = try AttributePath.split(Substring(pathText), errorType: .invalidFilter)
        guard peek?.kind == .leftBracket else {
            return try parseOperator(path: path)
        }
        // valuePath
        guard !inValuePath else { throw Self.error("Value filters cannot be nested (position \(offset)).") }
        guard path.subAttribute == nil else {
            throw Self.error("A value filter must follow a top-level attribute (position \(offset)).")
        }
        index += 1
        try checkDepth(depth + 1)
        let inner = try parseOr(depth: depth + 1, inValuePath: true)
        try expect(.rightBracket, "]")
        // Entra: `emails[type eq "work"].value eq "x"`.
        if case .word(let sub)? = peek?.kind, sub.hasPrefix(".") {
            index += 1
            let name = sub.dropFirst()
            guard AttributePath.isAttributeName(name) else {
                throw Self.error("Invalid sub-attribute \"\(name.prefix(200))\".")
            }
            let tail = try parseOperator(path: AttributePath(attribute: String(name)))
            return .valuePath(path, .and(inner, tail))
        }
        return .valuePath(path, inner)
    }

    private mutating func parseOperator(path: AttributePath) throws(SCIMError) -> SCIMFilter {
        guard let token = peek, case .word(let word) = token.kind else {
            throw Self.error("Expected an operator after \"\(path)\".")
        }
        index += 1
        terms += 1
        guard terms <= limits.maxTerms else {
            throw Self.error("The filter has more than \(limits.maxTerms) expressions.")
        }
        if word.caseInsensitiveEquals("pr") { return .present(path) }
        guard let op = CompareOp(rawValue: word.lowercased()) else {
            throw Self.error("Unknown operator \"\(word.prefix(50))\" at position \(token.offset).")
        }
        return .compare(path, op, try parseValue(after: path))
    }

    private mutating func parseValue(after path: AttributePath) throws(SCIMError) -> JSONValue {
        guard let token = peek else { throw Self.error("Expected a value after \"\(path)\".") }
        index += 1
        switch token.kind {
        case .string(let s):
            return .string(s)
        case .word(let w):
            switch w.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default: break
            }
            if let first = w.utf8.first, first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
                let number = try? JSONValue.parse(w, maxDepth: 0)
            {
                switch number {
                case .integer, .number: return number
                default: break
                }
            }
            throw Self.error("Invalid value \"\(w.prefix(50))\" at position \(token.offset); strings must be quoted.")
        default:
            throw Self.error("Expected a value at position \(token.offset).")
        }
    }

    // MARK: Helpers

    private var peek: FilterToken? { index < tokens.count ? tokens[index] : nil }

    private func isKeyword(_ keyword: String) -> Bool {
        if case .word(let w)? = peek?.kind { return w.caseInsensitiveEquals(keyword) }
        return false
    }

    private mutating func expect(_ kind: FilterToken.Kind, _ text: String) throws(SCIMError) {
        guard let token = peek else { throw Self.error("Missing \"\(text)\" at the end of the filter.") }
        guard token.kind == kind else {
            throw Self.error("Expected \"\(text)\" at position \(token.offset), found \(Self.describe(token)).")
        }
        index += 1
    }

    private func checkDepth(_ depth: Int) throws(SCIMError) {
        guard depth <= limits.maxDepth else {
            throw Self.error("The filter is nested deeper than \(limits.maxDepth) levels.")
        }
    }

    private static func isReserved(_ word: String) -> Bool {
        ["and", "or", "not", "pr"].contains(word.lowercased()) || CompareOp(rawValue: word.lowercased()) != nil
    }

    private static func describe(_ token: FilterToken) -> String {
        switch token.kind {
        case .word(let w): "\"\(w.prefix(50))\""
        case .string: "a string"
        case .leftParen: "\"(\""
        case .rightParen: "\")\""
        case .leftBracket: "\"[\""
        case .rightBracket: "\"]\""
        }
    }

    private static func error(_ detail: String) -> SCIMError { .invalidFilter(detail) }

    private func pathError(_ detail: String) -> SCIMError { .invalidPath(detail) }
}
