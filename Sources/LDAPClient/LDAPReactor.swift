internal import CLDAPShim
import Foundation
import Glibc
import Synchronization

/// Waits for LDAP replies on every connection of the process with one thread and one epoll set.
///
/// A connection sends its request on the caller's thread (`LDAPHandle.send…`), then parks the caller here until the
/// reply is complete. The reactor thread sleeps in `epoll_wait`; when a connection's socket turns readable it lets
/// libldap read what arrived (`ldap_result` without waiting) and, once the reply is whole, resumes the caller with
/// the message. Under load one wake-up serves many connections, and no thread sits blocked per request.
///
/// A socket is armed one-shot per operation, so libldap is only ever called here while an operation of that
/// connection is in flight (a connection runs one operation at a time, see `LDAPConnection`). Replies that do not
/// arrive within the connection's operation timeout are abandoned and fail with `timeout`.
final class LDAPReactor: @unchecked Sendable {  // the epoll and event descriptors never change; `state` is locked
    static let shared = LDAPReactor()

    typealias Completion = CheckedContinuation<Result<LDAPMessageRef, LDAPError>, Never>

    /// Takes one message of a streamed reply (content synchronisation) on the reactor thread; returns false
    /// once the stream is over. The message is freed after the call.
    typealias StreamHandler = @Sendable (Result<OpaquePointer, LDAPError>) -> Bool

    private enum Delivery {
        /// One complete reply, handed to the caller.
        case reply(Completion)
        /// Every message of a long-lived reply as it arrives, until the handler says it is over.
        case stream(StreamHandler)
    }

    private struct Waiter {
        let handle: LDAPHandle
        let msgid: Int32
        let deadline: ContinuousClock.Instant
        let delivery: Delivery
    }

    /// The longest the reactor thread sleeps without looking at the deadlines again.
    private static let longestSleep = Duration.seconds(1)

    /// A stream waits without a deadline: its end is the server's (or the consumer's) decision.
    private static let never = ContinuousClock.now.advanced(by: .seconds(100 * 365 * 86_400))

    private enum Sleep {
        case awake
        case until(ContinuousClock.Instant)

        func wokenBy(_ deadline: ContinuousClock.Instant) -> Bool {
            switch self {
            case .awake: false
            case .until(let wake): deadline < wake
            }
        }
    }

    private struct State {
        var waiters: [Int32: Waiter] = [:]  // by socket
        /// What the reactor thread is doing: awake (it reads the deadlines again before sleeping) or asleep until
        /// the earliest deadline or for `longestSleep`. A new earlier deadline must wake it.
        var sleep: Sleep = .awake

        var earliestDeadline: ContinuousClock.Instant? {
            var earliest: ContinuousClock.Instant?
            for waiter in waiters.values where earliest.map({ waiter.deadline < $0 }) ?? true {
                earliest = waiter.deadline
            }
            return earliest
        }
    }

    private let epoll: Int32
    private let wakeup: Int32
    private let state = Mutex(State())

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeup = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(epoll >= 0 && wakeup >= 0, "cannot create the LDAP reactor's epoll or eventfd")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeup
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event) == 0, "cannot watch the LDAP reactor's eventfd")
        let thread = Thread { [self] in run() }
        thread.name = "ldap-reactor"
        thread.start()
    }

    /// Suspends the caller until the complete reply to `msgid` has arrived on `handle`'s socket.
    func reply(to msgid: Int32, on handle: LDAPHandle) async -> Result<LDAPMessageRef, LDAPError> {
        let socket = handle.socket
        guard socket >= 0 else {
            return .failure(LDAPError(code: .serverDown, diagnosticMessage: "the connection has no socket"))
        }
        let deadline = ContinuousClock.now + handle.operationTimeout
        return await withCheckedContinuation { completion in
            let (failure, wake) = state.withLock { state -> (LDAPError?, Bool) in
                guard state.waiters[socket] == nil else {
                    return (
                        LDAPError(code: .localError, diagnosticMessage: "two operations at once on one connection"),
                        false
                    )
                }
                guard arm(socket, of: handle) else {
                    return (LDAPError(code: .localError, diagnosticMessage: "cannot watch the connection"), false)
                }
                state.waiters[socket] = Waiter(handle: handle, msgid: msgid, deadline: deadline, delivery: .reply(completion))
                return (nil, state.sleep.wokenBy(deadline))
            }
            if let failure { return completion.resume(returning: .failure(failure)) }
            if wake { _ = eventfd_write(wakeup, 1) }
        }
    }

    /// Delivers every message of `msgid`'s reply to `handler` on the reactor thread, as it arrives, until the
    /// handler returns false or `endStream` is called. The connection runs nothing else meanwhile.
    func stream(_ msgid: Int32, on handle: LDAPHandle, _ handler: @escaping StreamHandler) -> LDAPError? {
        let socket = handle.socket
        guard socket >= 0 else { return LDAPError(code: .serverDown, diagnosticMessage: "the connection has no socket") }
        return state.withLock { state -> LDAPError? in
            guard state.waiters[socket] == nil else {
                return LDAPError(code: .localError, diagnosticMessage: "two operations at once on one connection")
            }
            guard arm(socket, of: handle) else { return LDAPError(code: .localError, diagnosticMessage: "cannot watch the connection") }
            state.waiters[socket] = Waiter(handle: handle, msgid: msgid, deadline: Self.never, delivery: .stream(handler))
            return nil
        }
    }

    /// Ends a stream the consumer no longer wants: the request is abandoned and the socket no longer watched.
    func endStream(on handle: LDAPHandle) {
        let socket = handle.socket
        let waiter = state.withLock { state -> Waiter? in
            guard socket >= 0, let waiter = state.waiters[socket], case .stream = waiter.delivery else { return nil }
            state.waiters[socket] = nil
            return waiter
        }
        guard let waiter else { return }
        waiter.handle.abandon(waiter.msgid)
    }

    /// Stops watching `handle`'s socket before libldap closes it. When libldap has closed the socket already (after
    /// a failure) the kernel dropped it from the epoll set, and the number may belong to a new connection by now:
    /// then there is nothing to do.
    func forget(_ handle: LDAPHandle) {
        guard let socket = handle.watchedSocket, handle.socket == socket else { return }
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, socket, nil)
    }

    /// Arms `socket` for one readable event. The kernel drops a closed socket from the set by itself, so whether
    /// the number is in the set is asked of the kernel, not remembered.
    private func arm(_ socket: Int32, of handle: LDAPHandle) -> Bool {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLONESHOT.rawValue | EPOLLRDHUP.rawValue
        event.data.fd = socket
        let first: Int32 = handle.watchedSocket == socket ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
        var armed = epoll_ctl(epoll, first, socket, &event) == 0
        if !armed && (errno == ENOENT || errno == EEXIST) {
            armed = epoll_ctl(epoll, first == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, socket, &event) == 0
        }
        if armed { handle.watchedSocket = socket }
        return armed
    }

    // MARK: The reactor thread

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let timeout = state.withLock { state -> Int32 in
                // Never asleep for more than a second: a new operation's deadline (its timeout, normally seconds
                // away) then lies past the wake-up, and the caller need not wake the thread with the eventfd.
                let now = ContinuousClock.now
                let next = min(state.earliestDeadline ?? now + Self.longestSleep, now + Self.longestSleep)
                state.sleep = .until(next)
                let wait = max(.zero, next - now)
                // Round up so the deadline has passed when the wait ends.
                return Int32(clamping: wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000 + 1)
            }
            let count = events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, 64, timeout) }
            state.withLock { $0.sleep = .awake }
            if count > 0 {
                for index in 0..<Int(count) { readable(events[index].data.fd) }
            }
            expire()
        }
    }

    private func readable(_ socket: Int32) {
        if socket == wakeup {
            var value: eventfd_t = 0
            _ = eventfd_read(wakeup, &value)
            return
        }
        guard let waiter = state.withLock({ $0.waiters[socket] }) else { return }
        if case .stream(let handler) = waiter.delivery { return streamReadable(socket, waiter, handler) }
        guard case .reply(let completion) = waiter.delivery else { return }
        let outcome: Result<LDAPMessageRef, LDAPError>?
        do {
            outcome = try waiter.handle.pollResult(waiter.msgid).map { .success(LDAPMessageRef(pointer: $0)) }
        } catch {
            outcome = .failure(error)
        }
        let done = state.withLock { state -> Bool in
            if outcome != nil {
                state.waiters[socket] = nil
                return true
            }
            // Only part of the reply is here: wait for the rest (a failed re-arm ends the operation).
            return !arm(socket, of: waiter.handle)
        }
        guard done else { return }
        completion.resume(
            returning: outcome
                ?? .failure(LDAPError(code: .serverDown, diagnosticMessage: "cannot watch the connection")))
    }

    /// Hands every message that has arrived to the stream's handler, then watches for more.
    private func streamReadable(_ socket: Int32, _ waiter: Waiter, _ handler: StreamHandler) {
        var going = true
        while going {
            let message: OpaquePointer?
            do {
                message = try waiter.handle.pollResult(waiter.msgid, whole: false)
            } catch {
                _ = handler(.failure(error))
                going = false
                break
            }
            guard let message else { break }
            going = handler(.success(message))
            waiter.handle.free(message)
        }
        let failed = state.withLock { state -> Bool in
            // The consumer may have ended the stream meanwhile (endStream removed the waiter).
            guard state.waiters[socket]?.msgid == waiter.msgid else { return false }
            if !going {
                state.waiters[socket] = nil
                return false
            }
            if arm(socket, of: waiter.handle) { return false }
            state.waiters[socket] = nil
            return true
        }
        if failed { _ = handler(.failure(LDAPError(code: .serverDown, diagnosticMessage: "cannot watch the connection"))) }
    }

    private func expire() {
        let now = ContinuousClock.now
        let expired = state.withLock { state -> [Waiter] in
            guard let earliest = state.earliestDeadline, earliest <= now else { return [] }
            let late = state.waiters.filter { $0.value.deadline <= now }
            for socket in late.keys { state.waiters[socket] = nil }
            return Array(late.values)
        }
        for waiter in expired {
            waiter.handle.abandon(waiter.msgid)
            guard case .reply(let completion) = waiter.delivery else { continue }
            completion.resume(
                returning: .failure(
                    LDAPError(code: .timeout, diagnosticMessage: "no result within \(waiter.handle.operationTimeout)")))
        }
    }
}

/// A complete reply handed from the reactor thread to the waiting caller, who reads and frees it.
struct LDAPMessageRef: @unchecked Sendable {  // owned by exactly one side at a time
    let pointer: OpaquePointer
}
