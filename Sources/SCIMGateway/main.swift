import NIOCore
import NIOPosix
import SCIMApp

// Swift concurrency's jobs run on NIO's event-loop threads: a request's handler then continues on the thread
// that read it, instead of hopping to a separate cooperative pool and back.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await GatewayMain.run()
