import Hummingbird
import NIOCore
import Synchronization

/// Keeps a request's work on the event loop of its connection: the handler (and whatever resumes it, such as an
/// LDAP reply) runs there, so the response is written without another thread hop.
struct EventLoopAffinityMiddleware: RouterMiddleware {
    typealias Context = SCIMRequestContext

    func handle(
        _ request: Request, context: SCIMRequestContext,
        next: (Request, SCIMRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let loop = context.eventLoop else { return try await next(request, context) }
        return try await withTaskExecutorPreference(EventLoopExecutor.for(loop)) {
            try await next(request, context)
        }
    }
}

/// A task executor that runs jobs on one NIO event loop; one per loop, made on first use.
final class EventLoopExecutor: TaskExecutor {
    private let loop: any EventLoop
    private static let executors = Mutex<[ObjectIdentifier: EventLoopExecutor]>([:])

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    static func `for`(_ loop: any EventLoop) -> EventLoopExecutor {
        executors.withLock { executors in
            let key = ObjectIdentifier(loop)
            if let existing = executors[key] { return existing }
            let executor = EventLoopExecutor(loop: loop)
            executors[key] = executor
            return executor
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
