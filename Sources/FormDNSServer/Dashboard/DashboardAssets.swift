import Hummingbird
import NIOCore

/// The dashboard's page, script, style and map, compiled into the binary (no CDN, no network
/// asset, no build step). They hold no data: the page asks `/v1/dashboard/stream` with the
/// reader's token, so they are served without one.
enum DashboardAssets {
    struct Asset {
        let bytes: [UInt8]
        let contentType: String
    }

    static let files: [String: Asset] = [
        "index.html": Asset(bytes: PackageResources.index_html, contentType: "text/html; charset=utf-8"),
        "dashboard.js": Asset(bytes: PackageResources.dashboard_js, contentType: "text/javascript; charset=utf-8"),
        "dashboard.css": Asset(bytes: PackageResources.dashboard_css, contentType: "text/css; charset=utf-8"),
        "world.json": Asset(bytes: PackageResources.world_json, contentType: "application/json"),
    ]

    /// Scripts and styles from this origin only, nothing inline, no frames: what the page needs.
    static let securityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static func response(_ name: String) -> Response? {
        guard let asset = files[name] else { return nil }
        return Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType, .contentSecurityPolicy: securityPolicy,
                .xContentTypeOptions: "nosniff", .cacheControl: "no-cache",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
