import Foundation
import Logging
import OrderedCollections
import SCIMCore

/// The target's Bulk limits (ServiceProviderConfig `bulk`, RFC 7643 §5).
struct BulkLimits: Sendable, Equatable {
    var maxOperations: Int
    var maxPayloadSize: Int
}

/// The creates of a reconciliation, gathered into `/Bulk` requests (RFC 7644 §3.7) instead of one POST each: an
/// initial sync of thousands of users costs the target a request per batch, not per user. Each create waits for
/// its own operation's answer, so the engine records every resource as before. A batch goes when it is full
/// (100 operations, or the target's smaller limits), or `gatherDelay` after its first create if fewer than
/// `busy` batches are being answered (otherwise it keeps filling until one is answered: the target is busy
/// anyway, and full batches cost it least); a batch of one is sent as a plain POST. A target that refuses the
/// Bulk request itself (400, 403, 404, 405, 413, 415, 501) is sent plain POSTs from then on.
actor BulkBatcher {
    /// What became of one create.
    enum Outcome: Sendable {
        /// The target created it: its answer, or at least `{"id": …}` from the operation's location.
        case created(JSONValue)
        case failed(TargetError)
        /// Not sent in a batch: the caller POSTs it alone.
        case sendAlone
    }

    static let largestBatch = 100
    static let gatherDelay: Duration = .milliseconds(25)
    /// Batches being answered at once before a partial batch waits to fill.
    static let busy = 2

    private struct Waiting {
        let endpoint: String
        let bulkID: String
        let body: JSONValue
        let continuation: CheckedContinuation<Outcome, Never>
    }

    private let client: TargetClient
    private let logger: Logger
    private let target: String
    private let onRefused: @Sendable () -> Void
    let batchSize: Int
    private let payloadBudget: Int
    private var waiting: [Waiting] = []
    private var waitingBytes = 0
    private var timer: Task<Void, Never>?
    /// Which timer is the current one: a timer that was cancelled (its batch went full) still wakes up, and is
    /// ignored.
    private var timerGeneration = 0
    private var refused = false
    private var inFlight = 0
    /// Bulk requests sent (for the report and tests).
    private(set) var requests = 0

    init(client: TargetClient, limits: BulkLimits, logger: Logger, target: String, onRefused: @escaping @Sendable () -> Void) {
        self.client = client
        self.logger = logger
        self.target = target
        self.onRefused = onRefused
        batchSize = max(2, min(Self.largestBatch, limits.maxOperations))
        // Room for the request's envelope and each operation's own fields.
        payloadBudget = max(4096, limits.maxPayloadSize * 9 / 10)
    }

    /// Creates `body` at `endpoint` in the next batch; `bulkID` names the operation (our id: unique in a batch).
    func create(endpoint: String, bulkID: String, body: JSONValue) async -> Outcome {
        if refused { return .sendAlone }
        let size = body.jsonBytes().count + endpoint.utf8.count + bulkID.utf8.count + 64
        if size > payloadBudget { return .sendAlone }
        return await withCheckedContinuation { continuation in
            if waitingBytes + size > payloadBudget { flush() }
            waiting.append(Waiting(endpoint: endpoint, bulkID: bulkID, body: body, continuation: continuation))
            waitingBytes += size
            if waiting.count >= batchSize {
                flush()
            } else if timer == nil {
                timerGeneration += 1
                let generation = timerGeneration
                timer = Task { [weak self] in
                    try? await Task.sleep(for: Self.gatherDelay)
                    await self?.gathered(generation)
                }
            }
        }
    }

    /// The gather delay is over: a partial batch goes if the target is not busy with others, else it keeps
    /// filling (a batch being answered sends it).
    private func gathered(_ generation: Int) {
        guard generation == timerGeneration, timer != nil else { return }
        timer = nil
        if inFlight < Self.busy { flush() }
    }

    /// Sends what is waiting (the batch goes out on its own task; the next one starts gathering at once).
    private func flush() {
        timer?.cancel()
        timer = nil
        let batch = waiting
        waiting = []
        waitingBytes = 0
        guard !batch.isEmpty else { return }
        if batch.count == 1 || refused {
            for item in batch { item.continuation.resume(returning: .sendAlone) }
            return
        }
        requests += 1
        inFlight += 1
        Task {
            await self.send(batch)
            await self.answered()
        }
    }

    private func answered() {
        inFlight -= 1
        if !waiting.isEmpty, inFlight < Self.busy, timer == nil { flush() }
    }

    private func send(_ batch: [Waiting]) async {
        let operations: [JSONValue] = batch.map { item in
            .object(["method": "POST", "path": .string(item.endpoint), "bulkId": .string(item.bulkID), "data": item.body])
        }
        let answers: [JSONValue]
        do {
            answers = try await client.bulk(operations)
        } catch {
            if let status = error.status, Self.refusesBulk(status) {
                if !refused {
                    refused = true
                    onRefused()
                    logger.notice(
                        "provisioning: the target refused a Bulk request; creates are sent one POST each",
                        metadata: ["target": "\(target)", "error": "\(error)"])
                }
                for item in batch { item.continuation.resume(returning: .sendAlone) }
            } else {
                // No answer or a failure of the whole request: each create may or may not have happened; the
                // engine's retry finds what was created by its externalId before creating anything again.
                for item in batch { item.continuation.resume(returning: .failed(error)) }
            }
            return
        }
        let outcomes = Self.outcomes(of: answers)
        for item in batch {
            let outcome =
                outcomes[item.bulkID]
                ?? .failed(TargetError(status: nil, detail: "the target's Bulk response has no answer for this operation"))
            item.continuation.resume(returning: outcome)
        }
    }

    /// Answers of a Bulk request by bulkId: a 2xx with the resource's id (from `response.id` or the last segment
    /// of `location`), or the operation's error.
    static func outcomes(of answers: [JSONValue]) -> [String: Outcome] {
        var found: [String: Outcome] = [:]
        for answer in answers {
            guard let bulkID = answer["bulkId"]?.stringValue else { continue }
            let status = answer["status"]?.stringValue.flatMap { Int($0) } ?? answer["status"]?.int64Value.map { Int($0) }
            guard let status else {
                found[bulkID] = .failed(TargetError(status: nil, detail: "the operation's answer has no status"))
                continue
            }
            let response = answer["response"]
            if (200..<300).contains(status) {
                let location = answer["location"]?.stringValue
                let id =
                    response?["id"]?.stringValue
                    ?? location.flatMap { $0.split(separator: "/").last.map(String.init) }?.removingPercentEncoding
                guard let id, !id.isEmpty else {
                    found[bulkID] = .failed(TargetError(status: status, detail: "the target created a resource without id"))
                    continue
                }
                var created = response?.objectValue ?? [:]
                created["id"] = .string(id)
                found[bulkID] = .created(.object(created))
            } else {
                let detail = response?["detail"]?.stringValue ?? "the operation failed"
                found[bulkID] = .failed(
                    TargetError(
                        status: status, scimType: response?["scimType"]?.stringValue,
                        detail: String(detail.prefix(500))))
            }
        }
        return found
    }

    /// The target refused the Bulk request as such (no such endpoint, not supported or not allowed, too large):
    /// each create then goes alone and gets its own answer.
    static func refusesBulk(_ status: Int) -> Bool {
        [400, 403, 404, 405, 413, 415, 501].contains(status)
    }
}
