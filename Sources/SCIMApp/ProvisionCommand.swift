import ArgumentParser
import Foundation
import LDAPClient
import Logging
import SCIMCore
import SCIMProvisioning

/// `scim-gateway provision status|sync|retry`: what operators do with outbound provisioning.
struct Provision: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Outbound provisioning: status, a full reconciliation, retrying failures.",
        subcommands: [Status.self, Sync.self, Retry.self])

    struct Options: ParsableArguments {
        @Option(name: .shortAndLong, help: "Path of the YAML config file.")
        var config: String = "/etc/scim-gateway/scim-gateway.yaml"

        @Option(help: "Only this target (default: every target).")
        var target: String?

        func engines() throws -> (GatewayApplication, [ProvisioningEngine]) {
            let (config, directory) = try GatewayConfig.load(path: config)
            var logger = try config.logFormatSetting().makeLogger(level: "warning")
            logger.logLevel = .warning
            let app = try GatewayApplication.build(config: config, configDirectory: directory, logger: logger)
            let engines = app.provisioning.filter { target == nil || $0.settings.name == target }
            guard !engines.isEmpty else {
                throw ValidationError(target.map { "no provisioning target named \($0)" } ?? "the config has no provisioning targets")
            }
            return (app, engines)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pending and failed resources, with their errors, per target.")
        @OptionGroup var options: Options
        @Flag(help: "Machine-readable output.") var json = false

        func run() async throws {
            let (app, engines) = try options.engines()
            defer { app.pool.shutdown() }
            var reports: [JSONValue] = []
            for engine in engines {
                reports.append(try await ProvisioningStatus.report(engine))
            }
            if json {
                print(JSONValue.array(reports).jsonString())
            } else {
                for report in reports { print(ProvisioningStatus.text(report)) }
            }
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A full reconciliation now: every selected resource compared with the target, drift repaired.")
        @OptionGroup var options: Options
        @Flag(name: .customLong("dry-run"), help: "Print the plan; send and record nothing.") var dryRun = false

        func run() async throws {
            let (app, engines) = try options.engines()
            defer { app.pool.shutdown() }
            let terminal = isatty(STDERR_FILENO) == 1
            for engine in engines {
                let name = engine.settings.name
                var progress: (@Sendable (Int, Int) -> Void)?
                if terminal {
                    progress = { @Sendable done, total in ProgressBar.draw(label: name, done: done, total: total) }
                }
                let report = try await engine.reconcile(dryRun: dryRun, progress: progress)
                if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
                if dryRun {
                    for item in report.planned { print("\(name)\t\(item.type)\t\(item.localID)\t\(item.action)") }
                }
                let counts = report.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print(
                    "\(name): \(dryRun ? "would do" : "done") in \(String(format: "%.1f", report.seconds)) s: \(counts.isEmpty ? "nothing" : counts)"
                        + (report.bulkRequests > 0 ? " (creates in \(report.bulkRequests) Bulk requests)" : ""))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Push every failed and pending resource again now.")
        @OptionGroup var options: Options

        func run() async throws {
            let (app, engines) = try options.engines()
            defer { app.pool.shutdown() }
            for engine in engines {
                let records = try await engine.state.records().filter { $0.status != .synced }
                var results: [String: Int] = [:]
                for record in records {
                    let action = await engine.sync(localID: record.localID, typeName: record.resourceType, force: true)
                    results[action.description.components(separatedBy: " ").first ?? "?", default: 0] += 1
                }
                let summary = results.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print("\(engine.settings.name): \(records.count) retried\(summary.isEmpty ? "" : ": \(summary)")")
            }
        }
    }
}

/// A one-line progress bar on standard error.
enum ProgressBar {
    static func draw(label: String, done: Int, total: Int) {
        let width = 30
        let filled = total == 0 ? width : width * done / max(total, 1)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)".utf8))
    }
}
