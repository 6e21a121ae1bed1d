import ArgumentParser
import DNSWire
import FormAuthority
import FormConfig
import Foundation
import NetAddress
#if canImport(Glibc)
    import Glibc
#endif

/// Options to reach a running form-dns's management API.
struct APIOptions: ParsableArguments {
    @Option(name: .long, help: "Management API address, e.g. 127.0.0.1:8053 (default: $FORM_DNS_API).")
    var api: String?

    @Option(
        name: .long,
        help: "File holding the bearer token (default: $FORM_DNS_API_TOKEN). Never on the command line: ps shows it.")
    var tokenFile: String?

    @Option(
        name: .customLong("ca-file"),
        help:
            "Speak TLS to the API and trust this CA (PEM), e.g. the ca.pem of form-dns pki (default: $FORM_DNS_API_CA)."
    )
    var caFileOption: String?

    @Option(
        name: .customLong("cert-file"),
        help: "Client certificate (PEM) for mutual TLS, with --key-file (default: $FORM_DNS_API_CERT).")
    var certFileOption: String?

    @Option(
        name: .customLong("key-file"), help: "The client certificate's private key (PEM) (default: $FORM_DNS_API_KEY).")
    var keyFileOption: String?

    var caFile: String? { caFileOption ?? Self.environment("FORM_DNS_API_CA") }
    var certFile: String? { certFileOption ?? Self.environment("FORM_DNS_API_CERT") }
    var keyFile: String? { keyFileOption ?? Self.environment("FORM_DNS_API_KEY") }

    static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        if api == nil, Self.environment("FORM_DNS_API") == nil {
            throw ValidationError("give --api HOST:PORT or set FORM_DNS_API")
        }
        if (certFile == nil) != (keyFile == nil) { throw ValidationError("give --cert-file and --key-file together") }
        if certFile != nil, caFile == nil { throw ValidationError("--cert-file needs --ca-file (TLS)") }
    }

    /// The token from --token-file, else the environment; nil when neither is set.
    func token() throws -> String? {
        guard let tokenFile else { return ManagementToken.fromEnvironment() }
        switch ManagementToken.read(file: tokenFile) {
        case .success(let t): return t
        case .failure(let problem): throw ValidationError("--token-file: \(problem.message)")
        }
    }

    /// One HTTP/1.0 request (over TLS with --ca-file); returns status and body.
    func request(_ method: String, _ path: String, body: String? = nil) throws -> (Int, Data) {
        let api = self.api ?? Self.environment("FORM_DNS_API") ?? ""
        guard let a = Endpoint(parsing: api, defaultPort: 53) else {
            throw ValidationError("--api '\(api)' is not an address like 127.0.0.1:8053")
        }
        var req = "\(method) \(path) HTTP/1.0\r\nHost: \(api)\r\n"
        if let t = try token() { req += "Authorization: Bearer \(t)\r\n" }
        if let body {
            req += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            req += "\r\n"
        }
        let response: [UInt8]
        if let caFile {
            do {
                response = try TLSExchange(caFile: caFile, certFile: certFile, keyFile: keyFile).send(
                    Array(req.utf8), to: a)
            } catch let e as ValidationError { throw e } catch {
                throw ValidationError("TLS to the management API at \(api) failed: \(error)")
            }
        } else {
            response = try plainExchange(Array(req.utf8), to: a)
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw ValidationError("bad response from \(api)") }
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, Data(text[split.upperBound...].utf8))
    }

    /// Sends `request` over a plain TCP socket and reads until the server closes (5 s at most per read).
    func plainExchange(_ request: [UInt8], to a: Endpoint) throws -> [UInt8] {
        let api = "\(a)"
        let fd = socket(a.host.contains(":") ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = try SockaddrText.with(host: a.host, port: UInt16(a.port)) { connect(fd, $0, $1) }
        guard rc == 0 else {
            throw ValidationError("cannot connect to the management API at \(api): \(String(cString: strerror(errno)))")
        }
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        // Until the server closes, or the whole Content-Length is here (a server may keep the
        // connection open after an HTTP/1.0 answer).
        while !ResponseCollector.isComplete(response) {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            response += buf[0..<n]
        }
        return response
    }
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "List every node's health as the running authority sees it: state, check counters, last check, "
            + "latency, overrides, pushed reports."
    )

    @OptionGroup var api: APIOptions

    @Flag(help: "Print the raw JSON.")
    var json = false

    func run() throws {
        let (status, body) = try api.request("GET", "/v1/health")
        guard status == 200 else {
            printError(
                "form-dns: management API answered \(status): \(LogText.escape(String(decoding: body, as: UTF8.self)))")
            throw ExitCode(1)
        }
        if json {
            print(String(decoding: body, as: UTF8.self))
            return
        }
        print(try HealthReport.decode(body).table())
    }
}

struct Override: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drain a node, force it up or down, or clear the override (through the management API).")

    @OptionGroup var api: APIOptions

    @Argument(help: "Pool name.") var pool: String
    @Argument(help: "Node id.") var node: String
    @Argument(help: "drain, force-up, force-down or clear.") var action: String

    /// What may stand unescaped in one path segment (RFC 3986 unreserved): a `/` in a name is escaped.
    static let segment = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789-._~")

    func run() throws {
        guard ["drain", "force-up", "force-down", "clear"].contains(action) else {
            throw ValidationError("action must be drain, force-up, force-down or clear")
        }
        let value = action == "clear" ? "null" : "\"\(action)\""
        let path =
            "/v1/pools/\(pool.addingPercentEncoding(withAllowedCharacters: Self.segment) ?? pool)"
            + "/nodes/\(node.addingPercentEncoding(withAllowedCharacters: Self.segment) ?? node)/override"
        let (status, body) = try api.request("POST", path, body: "{\"override\": \(value)}")
        print(String(decoding: body, as: UTF8.self))
        if status != 200 { throw ExitCode(1) }
    }
}
