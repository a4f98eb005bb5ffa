import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOHTTPTypes
import NIOCore

/// Closes a connection whose client is too slow to send a request: the head must arrive within `head` of the
/// connection opening (or of the previous response), and the body within `body` of the head. An idle timeout
/// alone cannot catch a client trickling one byte at a time (slowloris); the header size is bounded by the HTTP
/// decoder (80 KiB).
final class RequestReadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let head: TimeAmount
    private let body: TimeAmount
    /// When the connection is closed unless the awaited part arrives first; nil while nothing is awaited (a request
    /// being answered).
    private var deadline: NIODeadline?
    /// The one timer of the connection and when it fires. Moving the deadline later leaves it as it is: when it
    /// fires early it sets itself again for what is left. So a request on a kept-alive connection only writes
    /// `deadline`, instead of cancelling and scheduling a timer on each head, end and response.
    private var timer: (task: Scheduled<Void>, fires: NIODeadline)?

    init(head: TimeAmount, body: TimeAmount) {
        self.head = head
        self.body = body
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, head) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, head)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context, body)
        case .end: disarm()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, head) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { stop() }

    private func arm(_ context: ChannelHandlerContext, _ amount: TimeAmount) {
        let due = NIODeadline.now() + amount
        deadline = due
        if let timer, timer.fires <= due { return }
        timer?.task.cancel()
        schedule(context, at: due)
    }

    private func schedule(_ context: ChannelHandlerContext, at due: NIODeadline) {
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(deadline: due) {
            loopBound.value.handler.fire(loopBound.value.context)
        }
        timer = (task, due)
    }

    private func fire(_ context: ChannelHandlerContext) {
        timer = nil
        guard let deadline else { return }  // a request is being answered: the next `arm` sets a timer again
        if deadline <= .now() {
            context.close(promise: nil)
        } else {
            schedule(context, at: deadline)
        }
    }

    private func disarm() {
        deadline = nil
    }

    private func stop() {
        deadline = nil
        timer?.task.cancel()
        timer = nil
    }
}
