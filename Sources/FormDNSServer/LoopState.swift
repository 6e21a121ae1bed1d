import FormAuthority
import NIOCore

/// The authority snapshot one event loop answers from.
///
/// Only touched on its own event loop (it is always reached through `NIOLoopBound`), so the read
/// path takes no lock and no atomic: a reload hands each loop its new snapshot with `execute`.
final class LoopState {
    var builder: ResponseBuilder
    init(builder: ResponseBuilder) { self.builder = builder }
}
