/// A PATCH request body (RFC 7644 §3.5.2), checked for shape only; applying it is the
/// storage layer's job.
public struct PatchRequest: Sendable, Hashable {
    public enum Op: String, Sendable, Hashable, CaseIterable {
        case add, remove, replace
    }

    public struct Operation: Sendable, Hashable {
        public var op: Op
        /// Nil when absent (allowed for `add` and `replace`).
        public var path: AttributePath?
        /// Nil when absent (allowed for `remove`).
        public var value: JSONValue?

        public init(op: Op, path: AttributePath? = nil, value: JSONValue? = nil) {
            self.op = op
            self.path = path
            self.value = value
        }
    }

    public var operations: [Operation]
    /// Per-client compatibility: answer 400 noTarget when a replace's value filter matches nothing, as the RFC
    /// reads, instead of adding the value (Entra ID's expectation and the default).
    public var strictNoTarget = false

    public init(operations: [Operation]) {
        self.operations = operations
    }

    /// Checks the PatchOp schema URN, then each operation. `op` is matched ignoring case
    /// (Entra sends `Replace`). Errors: 400 `invalidSyntax` for the message shape and
    /// unknown ops, `invalidPath`/`invalidFilter` for a bad path, `noTarget` for a
    /// `remove` without path, `invalidValue` for a missing value.
    public init(json: JSONValue, maxOperations: Int = 1000, filterLimits: FilterLimits = .default) throws(SCIMError) {
        guard case .object = json else { throw SCIMError.invalidSyntax("The PATCH body must be a JSON object.") }
        guard let schemas = json["schemas"]?.arrayValue,
            schemas.contains(where: { $0.stringValue?.caseInsensitiveEquals(SCIMURN.patchOp) == true })
        else { throw SCIMError.invalidSyntax("\"schemas\" must contain \"\(SCIMURN.patchOp)\".") }
        guard let list = json["Operations"]?.arrayValue, !list.isEmpty else {
            throw SCIMError.invalidSyntax("\"Operations\" must be a non-empty array.")
        }
        guard list.count <= maxOperations else {
            throw SCIMError.invalidSyntax("A PATCH request may hold at most \(maxOperations) operations.")
        }
        var operations: [Operation] = []
        operations.reserveCapacity(list.count)
        for (n, element) in list.enumerated() {
            operations.append(try Self.operation(element, index: n, filterLimits: filterLimits))
        }
        self.operations = operations
    }

    private static func operation(_ json: JSONValue, index n: Int, filterLimits: FilterLimits) throws(SCIMError) -> Operation {
        guard case .object = json else { throw SCIMError.invalidSyntax("Operation \(n) is not a JSON object.") }
        guard let opText = json["op"]?.stringValue, let op = Op(rawValue: opText.lowercased()) else {
            throw SCIMError.invalidSyntax("Operation \(n): \"op\" must be \"add\", \"remove\" or \"replace\".")
        }
        var path: AttributePath?
        if let raw = json["path"], !raw.isNull {
            guard let text = raw.stringValue else { throw SCIMError.invalidPath("Operation \(n): \"path\" must be a string.") }
            let trimmed = text.trimmingSpaces()
            if !trimmed.isEmpty { path = try AttributePath.parsePatchPath(trimmed, limits: filterLimits) }
        }
        let value = json["value"]
        switch op {
        case .remove:
            guard path != nil else { throw SCIMError.noTarget("Operation \(n): \"remove\" needs a \"path\".") }
        case .add, .replace:
            guard value != nil else { throw SCIMError.invalidValue("Operation \(n): \"\(op.rawValue)\" needs a \"value\".") }
            if path == nil, value?.objectValue == nil {
                throw SCIMError.invalidValue("Operation \(n): without a \"path\" the value must be an object.")
            }
        }
        return Operation(op: op, path: path, value: value)
    }
}
