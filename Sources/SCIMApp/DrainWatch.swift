import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Watches the drain after SIGTERM/SIGINT: notes when it began (for the log) and, if requests are still in
/// flight a moment past the drain timeout, runs `overrun` (which ends the process). Cancellation alone cannot
/// end a request blocked in libldap on a frozen directory; this keeps the process's exit bounded anyway.
/// Placed last in the service group, it is the first member told of the shutdown.
final class DrainWatch: Service, Sendable {
    private let logger: Logger
    private let timeout: Duration
    private let overrun: @Sendable () -> Void
    private let started = Mutex<ContinuousClock.Instant?>(nil)

    init(logger: Logger, timeout: Duration, overrun: @escaping @Sendable () -> Void) {
        self.logger = logger
        self.timeout = timeout
        self.overrun = overrun
    }

    func run() async throws {
        try? await gracefulShutdown()
        guard !Task.isCancelled else { return }
        started.withLock { $0 = ContinuousClock.now }
        logger.info(
            "shutting down: new connections refused, requests in flight finishing",
            metadata: ["drain.timeout": "\(timeout)"])
        let limit = timeout + .milliseconds(500)
        let overrun = overrun
        // Unstructured on purpose: it must outlive this member, which returns at once.
        Task.detached {
            try? await Task.sleep(for: limit)
            overrun()
        }
    }

    /// Seconds since graceful shutdown began (millisecond precision); "0.000" if it never began.
    var elapsed: String {
        guard let start = started.withLock({ $0 }) else { return "0.000" }
        let elapsed = ContinuousClock.now - start
        let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        let fraction = String(ms % 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
