import Foundation
import Hummingbird
import Logging
import OrderedCollections

/// Request context: Hummingbird's core storage plus the request id and the authenticated client.
public struct SCIMRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `RequestIDMiddleware`; echoed in `X-Request-ID` and in every log line of the request.
    public var requestID: String = ""
    /// Set by `BearerAuthMiddleware`.
    public var clientName: String?
    /// The client's compatibility switch (see `BearerClient.strictNoTarget`).
    public var strictNoTarget = false

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Request bodies above this size are refused with 413 before being read.
    public var maxUploadSize: Int { 1 << 20 }
}
