/// A parsed SCIM filter (RFC 7644 §3.4.2.2).
///
/// Paths inside `.valuePath` are relative to its attribute. Entra's
/// `emails[type eq "work"].value eq "x"` is normalised to
/// `.valuePath(emails, .and(type eq "work", value eq "x"))`.
public indirect enum SCIMFilter: Sendable, Hashable {
    case compare(AttributePath, CompareOp, JSONValue)
    case present(AttributePath)
    case and(SCIMFilter, SCIMFilter)
    case or(SCIMFilter, SCIMFilter)
    case not(SCIMFilter)
    case valuePath(AttributePath, SCIMFilter)

    /// Parses filter text, enforcing `limits`. Every failure is 400 `invalidFilter`.
    public static func parse(_ text: String, limits: FilterLimits = .default) throws(SCIMError) -> SCIMFilter {
        var parser = try FilterParser(text: text, limits: limits, errorType: .invalidFilter)
        return try parser.parseWholeFilter()
    }
}

/// The comparison operators; `pr` is the `.present` case.
public enum CompareOp: String, Sendable, Hashable, CaseIterable {
    case eq, ne, co, sw, ew, gt, ge, lt, le
}

/// Bounds applied while parsing, so hostile filters cost little.
public struct FilterLimits: Sendable, Hashable {
    /// Maximum filter length in UTF-8 bytes.
    public var maxLength: Int
    /// Maximum nesting of parentheses, `not` and `[...]`.
    public var maxDepth: Int
    /// Maximum number of attribute expressions (comparisons and `pr`).
    public var maxTerms: Int

    public init(maxLength: Int = 4096, maxDepth: Int = 16, maxTerms: Int = 64) {
        self.maxLength = maxLength
        self.maxDepth = maxDepth
        self.maxTerms = maxTerms
    }

    public static let `default` = FilterLimits()
}

extension SCIMFilter: CustomStringConvertible {
    /// Canonical text: operators lower-case, `and`/`or` fully parenthesised, values as JSON.
    public var description: String {
        switch self {
        case let .compare(path, op, value): "\(path) \(op.rawValue) \(value.jsonString())"
        case let .present(path): "\(path) pr"
        case let .and(l, r): "(\(l) and \(r))"
        case let .or(l, r): "(\(l) or \(r))"
        case let .not(f): "not (\(f))"
        case let .valuePath(path, f): "\(path)[\(f)]"
        }
    }
}
