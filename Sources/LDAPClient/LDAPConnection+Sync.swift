/// The change feed on a connection of its own (see `LDAPSyncEvent`).
extension LDAPConnection {
    /// Streams the content synchronisation of everything `filter` selects under `base`. The connection serves
    /// nothing else while the stream lives: open a dedicated one (`LDAPConnection.connect`), never a pooled one.
    /// Ending the iteration (or cancelling its task) abandons the search.
    ///
    /// Events are buffered until the consumer takes them; a consumer that falls far behind holds them in memory
    /// (a provisioning engine persists its cookie and may reconnect with it instead).
    public func contentSync(
        base: String, scope: LDAPScope = .subtree, filter: LDAPFilter = .present("objectClass"),
        attributes: [String] = ["*", "+"], mode: LDAPSyncMode = .refreshAndPersist,
        cookie: [UInt8]? = nil
    ) -> AsyncThrowingStream<LDAPSyncEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<LDAPSyncEvent, any Error>.makeStream()
        let handle = self.handle
        continuation.onTermination = { _ in LDAPReactor.shared.endStream(on: handle) }
        let msgid: Int32
        do {
            msgid = try handle.sendContentSync(
                base: base, scope: scope, filter: filter, attributes: attributes,
                mode: mode, cookie: cookie)
        } catch {
            if error.code.isConnectionFailure { markBroken() }
            continuation.finish(throwing: error)
            return stream
        }
        let failure = LDAPReactor.shared.stream(msgid, on: handle) { [self] result in
            switch result {
            case .failure(let error):
                if error.code.isConnectionFailure { markBroken() }
                continuation.finish(throwing: error)
                return false
            case .success(let message):
                do {
                    guard let event = try handle.readSyncMessage(message) else { return true }
                    continuation.yield(event)
                    if case .done = event {
                        continuation.finish()
                        return false
                    }
                    return true
                } catch {
                    continuation.finish(throwing: error)
                    return false
                }
            }
        }
        if let failure { continuation.finish(throwing: failure) }
        return stream
    }
}
