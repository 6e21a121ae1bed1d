import GeoIP
import Yams

extension NetworkMapFile {
    public static func parseYAML(_ text: String, file: String) throws(ConfigErrors) -> NetworkMapFile {
        var reader = YAMLReader(file: file)
        var out = NetworkMapFile()
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ConfigErrors([ConfigError(file: file, line: 0, field: "", message: "invalid YAML: \(error)")])
        }
        guard let root, let m = root.mapping else {
            throw ConfigErrors([
                ConfigError(file: file, line: 1, field: "", message: "must be a mapping with a networks list")
            ])
        }
        for (k, v) in m {
            switch k.string {
            case "database_type": out.databaseType = reader.string(v, "database_type") ?? out.databaseType
            case "description": out.description = reader.string(v, "description") ?? out.description
            case "build_epoch": out.buildEpoch = reader.int(v, "build_epoch", 0...253_402_300_799).map(UInt64.init)
            case "ip_version":
                guard let n = v.int, n == 4 || n == 6 else {
                    reader.fail(v, "ip_version", "must be 4 or 6")
                    continue
                }
                out.ipVersion = n
            case "networks":
                for (i, item) in reader.list(v, "networks").enumerated() {
                    let field = "networks[\(i)]"
                    guard let im = item.mapping else {
                        reader.fail(item, field, "must be a mapping")
                        continue
                    }
                    var network: IPNetwork? = nil
                    var fields = LocationFields()
                    for (ik, iv) in im {
                        let key = ik.string ?? "?"
                        if fields.read(key, iv, field: "\(field).\(key)", reader: &reader) { continue }
                        if key == "network" {
                            network = IPNetwork(iv.string ?? "")
                            if network == nil {
                                reader.fail(
                                    iv, "\(field).network",
                                    "'\(iv.string ?? "?")' is not a network like 10.0.0.0/8 (host bits must be zero)")
                            }
                        } else {
                            reader.fail(ik, "\(field).\(key)", "unknown setting")
                        }
                    }
                    if im["network"] == nil { reader.fail(item, "\(field).network", "is required") }
                    if let network, !network.address.isIPv4, out.ipVersion == 4 {
                        reader.fail(item, "\(field).network", "\(network) is IPv6 but ip_version is 4")
                    } else if let network, let loc = fields.location(node: item, field: field, reader: &reader) {
                        out.rows.append(Row(network: network, location: loc, continent: fields.continent))
                    }
                }
            default:
                reader.fail(
                    k, k.string ?? "?",
                    "unknown setting (expected database_type, description, build_epoch, ip_version, networks)")
            }
        }
        if !reader.errors.isEmpty { throw ConfigErrors(reader.errors) }
        return out
    }
}
