import Foundation
import NIOCore
import NIOPosix
@testable import SCIMServer
import Testing

/// `EventLoopAffinityMiddleware`'s executor: work under its preference runs on the chosen event loop, also after
/// being resumed from another thread.
@Suite("Event-loop affinity")
struct EventLoopAffinityTests {
    @Test func workResumesOnTheConnectionsLoop() async throws {
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        #expect(!loops.isEmpty)
        for loop in loops {
            let executor = EventLoopExecutor.for(loop)
            #expect(EventLoopExecutor.for(loop) === executor)  // one executor per loop
            let onLoop = await withTaskExecutorPreference(executor) { () async -> [Bool] in
                var seen = [loop.inEventLoop]
                // Resumed from a foreign thread, as an LDAP reply is.
                await withCheckedContinuation { continuation in
                    Thread { continuation.resume() }.start()
                }
                seen.append(loop.inEventLoop)
                try? await Task.sleep(for: .milliseconds(1))
                seen.append(loop.inEventLoop)
                return seen
            }
            #expect(onLoop == [true, true, true])
        }
    }
}
