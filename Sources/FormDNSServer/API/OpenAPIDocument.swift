import Foundation
import Hummingbird
import NIOCore

/// The OpenAPI 3.1 description of the API, served at `/v1/openapi.json` and kept in
/// Docs/openapi.json (`form-dns openapi`; a test fails when the two differ).
public enum OpenAPIDocument {
    static func response() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    /// `openapi.json` beside this file, as the binary carries it.
    public static let json = String(decoding: PackageResources.openapi_json, as: UTF8.self)
}
