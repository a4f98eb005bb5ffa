import Foundation
import LDAPClient

// ldap-bench: the raw-LDAP baseline of scripts/bench.sh. Runs indexed equality searches through libldap (the
// same client the gateway uses), as the service account, with random keys from a file, at a given concurrency,
// and prints one line: `<name> <requests/s> <p50 ms> <p99 ms> <requests> <errors>`.
//
//   ldap-bench --url ldap://127.0.0.1:3389 --bind-dn DN --password-file F --base DN --attribute entryUUID \
//              --keys FILE --concurrency 16 --seconds 5 [--name label]

struct Options {
    var url = "ldap://127.0.0.1:3389"
    var bindDN = ""
    var passwordFile = ""
    var base = ""
    var attribute = "entryUUID"
    var keysFile = ""
    var concurrency = 1
    var seconds = 5.0
    var name = "ldap"

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--url": url = value
            case "--bind-dn": bindDN = value
            case "--password-file": passwordFile = value
            case "--base": base = value
            case "--attribute": attribute = value
            case "--keys": keysFile = value
            case "--concurrency": concurrency = max(1, Int(value) ?? 1)
            case "--seconds": seconds = Double(value) ?? 5
            case "--name": name = value
            default: FileHandle.standardError.write(Data("unknown flag \(flag)\n".utf8)); exit(2)
            }
        }
    }
}

let options = Options(CommandLine.arguments)
let password = (try? String(contentsOfFile: options.passwordFile, encoding: .utf8))?
    .trimmingCharacters(in: .newlines) ?? ""
let keys = ((try? String(contentsOfFile: options.keysFile, encoding: .utf8)) ?? "")
    .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
guard !keys.isEmpty else {
    FileHandle.standardError.write(Data("no keys in \(options.keysFile)\n".utf8))
    exit(2)
}
let configuration = LDAPConfiguration(uris: [options.url], bind: .simple(dn: options.bindDN, password: LDAPSecret(password)),
                                      poolSize: 1)

/// One worker: its own connection, sequential searches until the deadline; returns latencies in ns and errors.
func worker(until deadline: ContinuousClock.Instant) async throws -> ([UInt64], Int) {
    let connection = try await LDAPConnection.connect(configuration)
    var latencies: [UInt64] = []
    var errors = 0
    var generator = SystemRandomNumberGenerator()
    while ContinuousClock.now < deadline {
        let key = keys[Int(generator.next(upperBound: UInt64(keys.count)))]
        let start = ContinuousClock.now
        do {
            let result = try await connection.search(base: options.base, scope: .subtree,
                                                     filter: .equal(options.attribute, key), attributes: ["*"])
            if result.entries.count != 1 { errors += 1 }
        } catch {
            errors += 1
        }
        let elapsed = ContinuousClock.now - start
        latencies.append(UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000))
    }
    return (latencies, errors)
}

let deadline = ContinuousClock.now + .milliseconds(Int(options.seconds * 1000))
let started = ContinuousClock.now
let (latencies, errors) = try await withThrowingTaskGroup(of: ([UInt64], Int).self) { group in
    for _ in 0..<options.concurrency { group.addTask { try await worker(until: deadline) } }
    var all: [UInt64] = []
    var errors = 0
    for try await (part, failed) in group {
        all += part
        errors += failed
    }
    return (all.sorted(), errors)
}
let elapsed = Double((ContinuousClock.now - started).components.seconds)
    + Double((ContinuousClock.now - started).components.attoseconds) / 1e18
func percentile(_ p: Double) -> Double {
    guard !latencies.isEmpty else { return 0 }
    return Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1e6
}
print(String(format: "%@ %.0f %.3f %.3f %d %d", options.name, Double(latencies.count) / elapsed, percentile(0.5),
             percentile(0.99), latencies.count, errors))
