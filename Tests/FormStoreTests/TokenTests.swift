import FormStore
import Foundation
import GRDB
import Testing

@Suite struct TokenTests {
    @Test func secretsAreRandomShownOnceAndStoredAsAHash() throws {
        let (token, secret) = APIToken.make(role: .operator, pools: ["entry"])
        let (other, otherSecret) = APIToken.make(role: .operator)
        #expect(secret != otherSecret && token.id != other.id)
        #expect(APIToken.id(ofSecret: secret) == token.id)
        #expect(token.secretHash == APIToken.hash(secret) && !token.secretHash.contains(secret.suffix(64)))
        #expect(token.matches(secret: secret) && !token.matches(secret: otherSecret))
        for bad in ["", "form_", "form_\(token.id)_", "form_\(token.id)_xyz", "bearer " + secret, "x" + secret] {
            #expect(APIToken.id(ofSecret: bad) == nil || !token.matches(secret: bad), "\(bad)")
        }
        #expect(token.covers(pool: "entry") && !token.covers(pool: "other"))
        #expect(APIToken.make(role: .reader).token.covers(pool: "anything"))
    }

    @Test func expiryAndRevocation() throws {
        let dir = StoreTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        let expiring = APIToken.make(role: .reader, expires: Date().addingTimeInterval(60)).token
        let reporter = APIToken.make(role: .reporter, pools: ["entry"], node: NodeKey(pool: "entry", node: "n1")).token
        try store.addToken(expiring)
        try store.addToken(reporter)
        let stored = try #require(try store.token(id: reporter.id))
        #expect(stored.node == NodeKey(pool: "entry", node: "n1") && stored.role == .reporter && stored.isValid())
        #expect(try store.token(id: expiring.id)?.isValid(at: Date().addingTimeInterval(61)) == false)
        #expect(try store.revokeToken(id: reporter.id))
        #expect(try !store.revokeToken(id: reporter.id))
        #expect(try store.token(id: reporter.id)?.isValid() == false)
        #expect(try store.tokens().count == 2)
    }

    /// A row the code cannot read fully is no token at all: never one with more rights.
    @Test func anUnreadableRowIsNoToken() throws {
        let dir = StoreTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        let scoped = APIToken.make(role: .operator, pools: ["a,b", "c"]).token
        try store.addToken(scoped)
        #expect(try store.token(id: scoped.id)?.pools == ["a,b", "c"])
        let db = try DatabaseQueue(path: store.path)
        try db.write { try $0.execute(sql: "UPDATE api_token SET pools = 'a' WHERE id = ?", arguments: [scoped.id]) }
        #expect(try store.token(id: scoped.id) == nil)
        try db.write { try $0.execute(sql: "UPDATE api_token SET pools = '[]', role = 'root' WHERE id = ?", arguments: [scoped.id]) }
        #expect(try store.token(id: scoped.id) == nil)
    }
}
