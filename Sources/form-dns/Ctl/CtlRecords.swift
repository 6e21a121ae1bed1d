import ArgumentParser
import Foundation

struct CtlZones: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "zones", abstract: "List zones.")
    @OptionGroup var ctl: CtlOptions
    func run() throws {
        let (_, object) = try ctl.call("GET", "/v1/zones")
        if ctl.json { return }
        let zones = ((object as? [String: Any])?["zones"] as? [[String: Any]]) ?? []
        CtlOptions.table(["ZONE", "RECORDS"], zones.map { ["\($0["origin"] ?? "")", "\($0["records"] ?? "")"] })
    }
}

struct CtlRecords: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "records", abstract: "List a zone's records.")
    @OptionGroup var ctl: CtlOptions
    @Argument var zone: String
    @Option(help: "Only this owner name.") var name: String?
    func run() throws {
        let (_, object) = try ctl.call(
            "GET", "/v1/zones/\(CtlOptions.segment(zone))/records" + CtlOptions.query([("name", name)]))
        if ctl.json { return }
        for r in ((object as? [String: Any])?["records"] as? [[String: Any]]) ?? [] {
            print("\(r["name"] ?? "") \(r["ttl"] ?? "") IN \(r["type"] ?? "") \(r["data"] ?? "")")
        }
    }
}

struct CtlRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record", abstract: "Add or remove records.", subcommands: [Add.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add records in master-file syntax, e.g. 'www 300 IN A 192.0.2.1' (names relative to the zone).")
        @OptionGroup var ctl: CtlOptions
        @OptionGroup var change: ChangeOptions
        @Argument var zone: String
        @Argument var records: [String]
        func run() throws {
            try change.send(ctl, "POST", "/v1/zones/\(CtlOptions.segment(zone))/records", body: ["records": records])
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove NAME's records (of TYPE, with DATA).")
        @OptionGroup var ctl: CtlOptions
        @OptionGroup var change: ChangeOptions
        @Argument var zone: String
        @Argument var name: String
        @Argument var type: String?
        @Argument var data: String?
        func run() throws {
            try change.send(
                ctl, "DELETE", "/v1/zones/\(CtlOptions.segment(zone))/records",
                query: [("name", name), ("type", type), ("data", data)])
        }
    }
}
