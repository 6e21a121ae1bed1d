import FormAuthority
import Foundation
import Hummingbird
import NIOCore

/// JSON in and out. Bodies are read strictly: a JSON object, only the fields a route knows.
enum APIJSON {
    static let contentType = "application/json"

    static func response(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return response(json: data, status: status)
    }

    /// JSON already written (a Codable report, the OpenAPI document).
    static func response(json bytes: some Sequence<UInt8>, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The body, whole, as text (413 past the limit).
    static func text(_ request: Request) async throws -> String {
        var request = request
        let buffer = try await request.collectBody(upTo: ManagementAPI.maxBodyBytes)
        return String(buffer: buffer)
    }

    /// The body as a JSON object with only `allowed` keys, or the 400 that says why not.
    static func object(_ request: Request, allowed: Set<String>) async throws -> [String: Any] {
        let text = try await text(request)
        guard !text.isEmpty else { throw APIError(.badRequest, "the body must be a JSON object") }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        else { throw APIError(.badRequest, "the body is not valid JSON") }
        guard let object = parsed as? [String: Any] else {
            throw APIError(.badRequest, "the body must be a JSON object")
        }
        let unknown = object.keys.filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let names = unknown.map { LogText.escape($0, limit: 64) }.joined(separator: ", ")
            throw APIError(
                .badRequest, "unknown field(s) \(names) (expected \(allowed.sorted().joined(separator: ", ")))")
        }
        return object
    }

    static func string(_ object: [String: Any], _ key: String, required: Bool = false) throws -> String? {
        guard let value = object[key], !(value is NSNull) else {
            if required { throw APIError(.badRequest, "\(key) is required") }
            return nil
        }
        guard let s = value as? String else { throw APIError(.badRequest, "\(key) must be a string") }
        return s
    }

    static func strings(_ object: [String: Any], _ key: String) throws -> [String]? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let list = value as? [String] else { throw APIError(.badRequest, "\(key) must be a list of strings") }
        return list
    }

    static func integer(_ object: [String: Any], _ key: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        // JSON true/false also arrive as NSNumber; their objCType is "c".
        guard let n = value as? NSNumber, String(cString: n.objCType) != "c", let i = Int(exactly: n.doubleValue),
            range.contains(i)
        else {
            throw APIError(.badRequest, "\(key) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }
}
