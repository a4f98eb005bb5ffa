import Foundation
import LDAPClient

// ldap-bench: the raw-LDAP baseline of scripts/bench.sh, through libldap (the same client the gateway uses), as
// the service account, at a given concurrency; prints one line: `<name> <ops/s> <p50 ms> <p99 ms> <ops> <errors>`.
//   --mode search  indexed equality search `(<attribute>=<random key>)` (default)
//   --mode member  one modify of group `--group`: add a random key (a DN) to `--attribute`, the next op deletes it
//                  (each worker uses its own share of the keys)
//   --mode sorted  connect, bind, one Server-Side Sort + VLV search of `--base` sorted by `--attribute`, window
//                  `--offset`/`--count`, close (what the gateway does per sorted page)
//   --mode add     the LDAP side of POST /Users with a userName only: one add under `--base` of the entry the
//                  gateway writes (inetOrgPerson + scimUser, uid = cn = sn), with Post-Read of `--attributes` and
//                  the password policy request control
//   --mode patch   the LDAP side of PATCH /Users/{id} replacing title: read the entry by `(<attribute>=<key>)`
//                  asking for `--attributes`, then one modify replacing title, with Assertion (its entryCSN) and
//                  Post-Read of `--attributes`
//
//   ldap-bench --url ldap://127.0.0.1:3389 --bind-dn DN --password-file F --base DN --attribute entryUUID \
//              --keys FILE --concurrency 16 --seconds 5 [--name label] [--mode search|member|sorted]

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
    var mode = "search"
    var group = ""
    var offset = 1
    var count = 100
    var attributes = ["*"]
    /// `attribute=value` terms ANDed to the search filter (the gateway adds its mapping's selection).
    var and: [LDAPFilter] = []

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
            case "--mode": mode = value
            case "--group": group = value
            case "--offset": offset = Int(value) ?? 1
            case "--count": count = Int(value) ?? 100
            case "--attributes": attributes = value.split(separator: ",").map(String.init)
            case "--and":
                let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { and.append(.equal(parts[0], parts[1])) }
            default: FileHandle.standardError.write(Data("unknown flag \(flag)\n".utf8)); exit(2)
            }
        }
    }
}

let options = Options(CommandLine.arguments)
let password =
    (try? String(contentsOfFile: options.passwordFile, encoding: .utf8))?
    .trimmingCharacters(in: .newlines) ?? ""
let keys = ((try? String(contentsOfFile: options.keysFile, encoding: .utf8)) ?? "")
    .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
guard !keys.isEmpty else {
    FileHandle.standardError.write(Data("no keys in \(options.keysFile)\n".utf8))
    exit(2)
}
/// Names of entries this run adds (`--mode add`): unique across runs.
let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
let configuration = LDAPConfiguration(
    uris: [options.url], bind: .simple(dn: options.bindDN, password: LDAPSecret(password)),
    poolSize: 1)

/// One operation of the chosen mode; `step` counts this worker's operations.
func operation(_ connection: inout LDAPConnection?, worker: Int, step: Int, generator: inout SystemRandomNumberGenerator)
    async throws -> Bool
{
    switch options.mode {
    case "member":
        // Keys are shared out between workers; op 2k adds key k, op 2k+1 deletes it again.
        let mine = stride(from: worker, to: keys.count, by: options.concurrency).map { keys[$0] }
        let key = mine[(step / 2) % max(1, mine.count)]
        let change: LDAPModification = step % 2 == 0 ? .add(options.attribute, [key]) : .delete(options.attribute, [key])
        _ = try await connection!.modify(dn: options.group, [change])
        return true
    case "sorted":
        let fresh = try await LDAPConnection.connect(configuration)
        let found = try await fresh.search(
            base: options.base, scope: .oneLevel, filter: .equal("objectClass", "inetOrgPerson"),
            attributes: ["uid", "entryUUID", "entryCSN", "createTimestamp", "modifyTimestamp"],
            controls: [
                .serverSideSort([LDAPSortKey(options.attribute, orderingRule: "caseIgnoreOrderingMatch")]),
                .virtualListView(before: 0, after: options.count - 1, offset: options.offset, contentCount: 0),
            ])
        return found.entries.count == options.count
    case "add":
        let name = "raw-\(runID)-\(worker)-\(step)"
        let attributes: [(String, [[UInt8]])] = [
            ("objectClass", ["top", "person", "organizationalPerson", "inetOrgPerson", "scimUser"].map { Array($0.utf8) }),
            ("uid", [Array(name.utf8)]), ("cn", [Array(name.utf8)]), ("sn", [Array(name.utf8)]),
        ]
        let written = try await connection!.add(
            dn: "uid=\(name),\(options.base)", attributes: attributes,
            controls: [.postRead(options.attributes), .passwordPolicy])
        return written.controls.postRead != nil
    case "patch":
        let key = keys[Int(generator.next(upperBound: UInt64(keys.count)))]
        let found = try await connection!.search(
            base: options.base, scope: .subtree, filter: .equal(options.attribute, key),
            attributes: options.attributes + ["entryCSN"])
        guard let entry = found.entries.first, let version = entry.string("entryCSN") else { return false }
        let written = try await connection!.modify(
            dn: entry.dn, [.replace("title", ["Title \(step)"])],
            controls: [.assertion(.equal("entryCSN", version)), .postRead(options.attributes)])
        return written.controls.postRead != nil
    default:
        let key = keys[Int(generator.next(upperBound: UInt64(keys.count)))]
        let result = try await connection!.search(
            base: options.base, scope: .subtree,
            filter: options.and.isEmpty
                ? .equal(options.attribute, key)
                : .and([.equal(options.attribute, key)] + options.and),
            attributes: options.attributes)
        return result.entries.count == 1
    }
}

/// One worker: its own connection, sequential operations until the deadline; returns latencies in ns and errors.
func worker(_ index: Int, until deadline: ContinuousClock.Instant) async throws -> ([UInt64], Int) {
    var connection: LDAPConnection? = options.mode == "sorted" ? nil : try await LDAPConnection.connect(configuration)
    var latencies: [UInt64] = []
    var errors = 0
    var generator = SystemRandomNumberGenerator()
    var step = 0
    while ContinuousClock.now < deadline {
        let start = ContinuousClock.now
        do {
            if try await !operation(&connection, worker: index, step: step, generator: &generator) { errors += 1 }
        } catch {
            errors += 1
        }
        step += 1
        let elapsed = ContinuousClock.now - start
        latencies.append(UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000))
    }
    // A member added by the last operation is removed again (untimed), so the next run starts from the same group.
    if options.mode == "member", step % 2 == 1 {
        _ = try? await operation(&connection, worker: index, step: step, generator: &generator)
    }
    return (latencies, errors)
}

let deadline = ContinuousClock.now + .milliseconds(Int(options.seconds * 1000))
let started = ContinuousClock.now
let (latencies, errors) = try await withThrowingTaskGroup(of: ([UInt64], Int).self) { group in
    for index in 0..<options.concurrency { group.addTask { try await worker(index, until: deadline) } }
    var all: [UInt64] = []
    var errors = 0
    for try await (part, failed) in group {
        all += part
        errors += failed
    }
    return (all.sorted(), errors)
}
let elapsed =
    Double((ContinuousClock.now - started).components.seconds)
    + Double((ContinuousClock.now - started).components.attoseconds) / 1e18
func percentile(_ p: Double) -> Double {
    guard !latencies.isEmpty else { return 0 }
    return Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1e6
}
print(
    String(
        format: "%@ %.0f %.3f %.3f %d %d", options.name, Double(latencies.count) / elapsed, percentile(0.5),
        percentile(0.99), latencies.count, errors))
