/// A loopback TCP port free right now, below the ephemeral range (for gateways and slapd started by tests).
public enum FreePort {
    public static func pick() throws -> Int { try ProcessRunner.freePort() }
}
