import FormJoin
import Foundation

enum BootstrapListFuzz {
    static func run(_ data: UnsafeRawBufferPointer) {
        guard let list = try? BootstrapList.parse(Data(data), source: "fuzz.json") else { return }
        // A list that was accepted names peers that each have an endpoint.
        precondition(list.peers.allSatisfy { !$0.endpoints.isEmpty }, "an accepted peer without an endpoint")
    }
}
