/// RFC 4533 content synchronisation: the directory's own change feed (slapd's syncprov overlay).
///
/// `LDAPConnection.contentSync` sends one search carrying the Sync Request control and yields what the server
/// streams back: entries with their sync state, intermediate Sync Info messages, and — for `refreshOnly`, or
/// when the server ends a persist — the final result. In `refreshAndPersist` mode the search stays open and
/// every later change arrives as it happens. Resume after a restart by passing the last cookie; a cookie the
/// server refuses ends the stream with `LDAPResultCode.syncRefreshRequired`, after which the caller starts
/// again without one (a full refresh).
public enum LDAPSyncMode: Int32, Sendable {
    case refreshOnly = 1
    case refreshAndPersist = 3
}

/// One message of the feed.
public enum LDAPSyncEvent: Sendable, Equatable {
    public enum State: Int32, Sendable {
        case present = 0
        case add = 1
        case modify = 2
        case delete = 3
    }

    /// An entry and its state. For `add`/`modify` the entry carries the requested attributes; for `delete`
    /// and `present` only its DN (slapd sends the DN) and the entryUUID.
    case entry(state: State, entryUUID: String, entry: LDAPEntry, cookie: [UInt8]?)
    /// The refresh phase is over (in refreshAndPersist the persist phase follows). `deletes`: the refresh sent
    /// deletions (entries not mentioned are unchanged); false: it sent present entries (entries not mentioned
    /// since the cookie were deleted).
    case refreshDone(cookie: [UInt8]?, deletes: Bool)
    /// A batch of entryUUIDs: deleted (`deleted`) or present.
    case idSet(entryUUIDs: [String], deleted: Bool, cookie: [UInt8]?)
    /// A new cookie with nothing else.
    case cookie([UInt8])
    /// The search finished (refreshOnly, or the server ended the persist phase).
    case done(cookie: [UInt8]?, deletes: Bool)
}

extension LDAPControlOID {
    public static let syncRequest = "1.3.6.1.4.1.4203.1.9.1.1"
    public static let syncState = "1.3.6.1.4.1.4203.1.9.1.2"
    public static let syncDone = "1.3.6.1.4.1.4203.1.9.1.3"
    public static let syncInfo = "1.3.6.1.4.1.4203.1.9.1.4"
}

extension LDAPResultCode {
    /// e-syncRefreshRequired (RFC 4533 §2.5): the cookie is too old; refresh without it.
    public static let syncRefreshRequired = Self(rawValue: 4096)
}

enum SyncUUID {
    /// 16 raw bytes → `8-4-4-4-12` lower-case hex, the form entryUUID has everywhere else.
    static func format(_ bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return bytes.map { String(format: $0) }.joined() }
        let hex = bytes.map { String(format: $0) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }

    private static func String(format byte: UInt8) -> Swift.String {
        let digits = Array("0123456789abcdef")
        return Swift.String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
    }
}
