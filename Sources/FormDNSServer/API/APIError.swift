import FormControl
import Foundation
import Hummingbird

/// A refused request: its status, a stable `code` clients test for, and a message for people.
/// Every error the API returns has this JSON shape: `{"error": message, "code": code}` (plus the
/// configuration errors by field, for an invalid change).
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    var details: [[String: String]] = []

    init(_ status: HTTPResponse.Status, _ message: String, code: String? = nil) {
        self.status = status
        self.message = message
        self.code = code ?? Self.code(for: status)
    }

    init(_ error: ChangeError) {
        let status: HTTPResponse.Status =
            switch error.kind {
            case .invalid: .unprocessableContent
            case .notFound: .notFound
            case .conflict: .conflict
            case .unavailable: .conflict
            case .forbidden: .forbidden
            case .storeUnreachable, .storeUnwritable: .serviceUnavailable
            }
        let code: String? =
            switch error.kind {
            case .unavailable: "unavailable"
            case .storeUnreachable: "store_unreachable"
            case .storeUnwritable: "store_unwritable"
            default: nil
            }
        self.init(status, error.message, code: code)
        details = error.errors.map { ["field": $0.field, "message": $0.message] }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .contentTooLarge: "payload_too_large"
        case .unprocessableContent: "invalid_change"
        case .methodNotAllowed: "method_not_allowed"
        default: status.code >= 500 ? "internal" : "bad_request"
        }
    }

    var body: [String: Any] {
        var body: [String: Any] = ["error": message, "code": code]
        if !details.isEmpty { body["details"] = details }
        return body
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        APIJSON.response(body, status: status)
    }
}
