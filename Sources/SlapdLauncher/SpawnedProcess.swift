import Foundation

/// A child process started with posix_spawn and a clean signal state.
///
/// Foundation's `Process` passes on the spawning thread's signal mask, and Swift's runtime threads block almost
/// every signal: a slapd started that way never sees SIGTERM. Here the child starts with an empty mask and default
/// handlers, its output goes to a file, and the parent reaps it with waitpid.
final class SpawnedProcess: @unchecked Sendable {
    // @unchecked: `exitStatus` is guarded by `lock`.
    let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    init(executable: String, arguments: [String], outputPath: String) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of ours may leak into the child: an inherited socket (an HTTP or LDAP connection of this
        // process) would stay open as long as slapd runs.
        _ = Self.closeFrom?(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw SlapdError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module does not export.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    /// True until the process has exited (reaps it when it has).
    var isRunning: Bool {
        lock.withLock {
            if exitStatus != nil { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                exitStatus = status
                return false
            }
            return true
        }
    }

    var terminationStatus: Int32 { lock.withLock { exitStatus ?? -1 } }

    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the exit, up to `timeout`; then kills it.
    func wait(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                lock.withLock {
                    var status: Int32 = 0
                    if exitStatus == nil, waitpid(pid, &status, 0) == pid { exitStatus = status }
                }
                return
            }
            usleep(5_000)
        }
    }
}
