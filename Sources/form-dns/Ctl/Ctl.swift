import ArgumentParser
import FormAuthority
import Foundation

/// `form-dns ctl ...`: the management API from the command line. Every command takes the API's
/// address, token and CA from flags or the environment (FORM_DNS_API, FORM_DNS_API_TOKEN,
/// FORM_DNS_API_CA); `--json` prints the API's answer as it came. Changes take `--dry-run` and
/// `--message`. Exit status: 0 done (or shown, for a dry run), 3 waiting for a second admin's
/// approval, 1 refused (the API's reason is printed).
struct Ctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change and inspect a running form-dns through its management API.",
        subcommands: [
            CtlPools.self, CtlPool.self, CtlNodes.self, CtlNode.self, CtlDrain.self, CtlUndrain.self, CtlZones.self,
            CtlRecords.self, CtlRecord.self, CtlVersions.self, CtlShow.self, CtlDiff.self, CtlRollback.self,
            CtlExport.self, CtlChanges.self, CtlApprove.self, CtlReject.self, CtlTokens.self, CtlAudit.self,
            CtlEvents.self,
        ])
}

/// What every ctl command shares: how to reach the API and how to print.
struct CtlOptions: ParsableArguments {
    @OptionGroup var api: APIOptions

    @Flag(help: "Print the API's JSON answer.")
    var json = false

    /// Calls the API; a refusal prints the reason and exits 1.
    func call(_ method: String, _ path: String, body: Any? = nil) throws -> (Int, Any) {
        let text = try body.map { b -> String in
            String(decoding: try JSONSerialization.data(withJSONObject: b, options: [.sortedKeys]), as: UTF8.self)
        }
        let (status, data) = try api.request(method, path, body: text)
        let object = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) ?? [String: Any]()
        if json { print(String(decoding: data, as: UTF8.self)) }
        guard (200..<300).contains(status) else {
            if !json {
                let error = (object as? [String: Any]) ?? [:]
                var message = "form-dns: \(status) \(error["code"] ?? "error"): \(error["error"] ?? "")"
                for d in (error["details"] as? [[String: String]]) ?? [] {
                    message += "\n  \(d["field"] ?? ""): \(d["message"] ?? "")"
                }
                printError(LogText.escape(message))
            }
            throw ExitCode(1)
        }
        return (status, object)
    }

    /// Percent-encodes one path segment (a `/` in a name stays inside its segment).
    static func segment(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: Override.segment) ?? s }

    static func query(_ items: [(String, String?)]) -> String {
        let allowed = Override.segment
        let parts = items.compactMap { k, v in
            v.map { "\(k)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    /// Prints rows as aligned columns under a header.
    static func table(_ header: [String], _ rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        for row in [header] + rows {
            print(
                row.enumerated().map { i, c in
                    i == row.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }
                .joined(separator: "  "))
        }
    }
}

/// `--dry-run` and `--message`, which every change takes.
struct ChangeOptions: ParsableArguments {
    @Flag(help: "Show the diff and the answers it would change; change nothing.")
    var dryRun = false

    @Option(name: .shortAndLong, help: "Why (kept with the version and in the audit).")
    var message: String?

    /// Makes a change and prints its outcome: status, diff, answers that change.
    func send(
        _ ctl: CtlOptions, _ method: String, _ path: String, query: [(String, String?)] = [], body: Any? = nil
    ) throws {
        try Self.send(
            ctl, method, path, query: query + [("dry_run", dryRun ? "true" : nil), ("message", message)], body: body)
    }

    /// The same for a command without these options (approve).
    static func send(
        _ ctl: CtlOptions, _ method: String, _ path: String, query: [(String, String?)] = [], body: Any? = nil
    ) throws {
        let (status, object) = try ctl.call(method, path + CtlOptions.query(query), body: body)
        let outcome = (object as? [String: Any]) ?? [:]
        if !ctl.json {
            var line = "\(outcome["status"] ?? "done"): \(outcome["action"] ?? "")"
            if let v = outcome["version"], outcome["status"] as? String == "applied" { line += " (version \(v))" }
            print(line)
            if let change = outcome["change"] as? [String: Any] {
                print(
                    "waiting for approval by a second administrator: \(change["id"] ?? "") (\(change["reason"] ?? ""))")
                print("  form-dns ctl approve \(change["id"] ?? "")")
            }
            let diff = (outcome["diff"] as? [String]) ?? []
            if outcome["status"] as? String != "unchanged" {
                for d in diff where !d.hasPrefix(" ") { print(d) }
            }
            for a in (outcome["answers"] as? [String]) ?? [] { print("answers: \(a)") }
            for k in (outcome["restart_only"] as? [String]) ?? [] { print("needs a restart: \(k)") }
        }
        if status == 202 { throw ExitCode(3) }
    }
}

/// A JSON object from `--json-body` text or a file (`@path`), as the API takes pools and nodes.
func jsonBody(_ text: String) throws -> Any {
    var source = text
    if text.hasPrefix("@") {
        guard let data = FileManager.default.contents(atPath: String(text.dropFirst())) else {
            throw ValidationError("cannot read \(text.dropFirst())")
        }
        source = String(decoding: data, as: UTF8.self)
    }
    guard let object = try? JSONSerialization.jsonObject(with: Data(source.utf8)) as? [String: Any] else {
        throw ValidationError("the body must be a JSON object")
    }
    return object
}

/// `key=value` settings as a JSON object: numbers, true/false and null are read as such.
func settings(_ pairs: [String]) throws -> [String: Any] {
    var out: [String: Any] = [:]
    for pair in pairs {
        guard let eq = pair.firstIndex(of: "=") else { throw ValidationError("'\(pair)' must be KEY=VALUE") }
        let key = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
        if let data = value.data(using: .utf8),
            let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            !(parsed is String)
        {
            out[key] = parsed
        } else {
            out[key] = value
        }
    }
    return out
}
