import Hummingbird

/// The OpenAPI 3.1 description of the API, served at `/v1/openapi.json` and kept in
/// Docs/openapi.json (`form-dns openapi`; a test fails when the two differ).
public enum OpenAPIDocument {
    static func response() -> Response { APIJSON.response(json: PackageResources.openapi_json) }

    /// `openapi.json` beside this file, as the binary carries it.
    public static let json = String(decoding: PackageResources.openapi_json, as: UTF8.self)
}
