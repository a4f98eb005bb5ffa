import Foundation

extension SCIMFilter {
    /// Evaluates the filter against a resource in memory, for tests and tiny result sets
    /// (storage backends translate the AST instead).
    ///
    /// With `type`, string comparisons honour `caseExact` and dateTime attributes compare
    /// as instants; without it strings compare case-insensitively. Multi-valued attributes
    /// match when any value matches. `ne` is the negation of `eq`, so it matches resources
    /// without the attribute. `eq null` matches an unassigned attribute.
    public func matches(_ resource: JSONValue, type: ResolvedResourceType? = nil) -> Bool {
        FilterEvaluator(type: type).evaluate(self, in: resource, parent: nil)
    }
}

struct FilterEvaluator {
    let type: ResolvedResourceType?

    func evaluate(_ filter: SCIMFilter, in context: JSONValue, parent: SCIMAttribute?) -> Bool {
        switch filter {
        case let .and(l, r):
            return evaluate(l, in: context, parent: parent) && evaluate(r, in: context, parent: parent)
        case let .or(l, r):
            return evaluate(l, in: context, parent: parent) || evaluate(r, in: context, parent: parent)
        case .not(let f):
            return !evaluate(f, in: context, parent: parent)
        case .present(let path):
            return !values(at: path, in: context, parent: parent).values.isEmpty
        case let .compare(path, op, expected):
            let (found, definition) = values(at: path, in: context, parent: parent)
            if expected.isNull {
                switch op {
                case .eq: return found.isEmpty
                case .ne: return !found.isEmpty
                default: return false
                }
            }
            if op == .ne {
                return !found.contains { Self.compare($0, .eq, expected, definition) }
            }
            return found.contains { Self.compare($0, op, expected, definition) }
        case let .valuePath(path, inner):
            let top = path.topLevel
            let (found, definition) = values(at: top, in: context, parent: parent)
            return found.contains { evaluate(inner, in: $0, parent: definition) }
        }
    }

    /// The non-null values a path reaches, arrays flattened, and the definition it ends at.
    private func values(at path: AttributePath, in context: JSONValue, parent: SCIMAttribute?) -> (values: [JSONValue], definition: SCIMAttribute?) {
        var container = context
        var definition: SCIMAttribute?
        if let parent {
            definition = parent.subAttribute(named: path.attribute)
        } else {
            if let urn = path.schemaURN, !(type?.coreSchema.id.caseInsensitiveEquals(urn) ?? false) {
                guard let ext = context[urn] else { return ([], nil) }
                container = ext
            }
            definition = type?.definition(of: path.topLevel)
        }
        guard let value = container[path.attribute] else { return ([], definition) }
        var found = Self.flatten(value)
        if let sub = path.subAttribute {
            found = found.flatMap { Self.flatten($0[sub] ?? .null) }
            definition = definition?.subAttribute(named: sub)
        }
        return (found, definition)
    }

    private static func flatten(_ value: JSONValue) -> [JSONValue] {
        switch value {
        case .null: []
        case .array(let a): a.filter { !$0.isNull }
        default: [value]
        }
    }

    static func compare(_ actual: JSONValue, _ op: CompareOp, _ expected: JSONValue, _ definition: SCIMAttribute?) -> Bool {
        if definition?.type == .boolean || { if case .bool = actual { return true } else { return false } }() {
            guard let a = actual.boolValue, let e = expected.boolValue else { return false }
            switch op {
            case .eq: return a == e
            case .ne: return a != e
            default: return false
            }
        }
        if let a = actual.doubleValue, let e = expected.doubleValue {
            return order(a, e, op)
        }
        guard let a = actual.stringValue, let e = expected.stringValue else { return false }
        if definition?.type == .dateTime, let da = SCIMDateTime.parse(a), let de = SCIMDateTime.parse(e) {
            return order(da, de, op)
        }
        let caseExact = definition?.caseExact ?? false
        let lhs = caseExact ? a : a.lowercased()
        let rhs = caseExact ? e : e.lowercased()
        switch op {
        case .co: return lhs.contains(rhs)
        case .sw: return lhs.hasPrefix(rhs)
        case .ew: return lhs.hasSuffix(rhs)
        default: return order(lhs, rhs, op)
        }
    }

    private static func order<T: Comparable>(_ a: T, _ b: T, _ op: CompareOp) -> Bool {
        switch op {
        case .eq: a == b
        case .ne: a != b
        case .gt: a > b
        case .ge: a >= b
        case .lt: a < b
        case .le: a <= b
        case .co, .sw, .ew: false
        }
    }
}
