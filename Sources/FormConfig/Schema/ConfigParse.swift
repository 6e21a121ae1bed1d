import DNSWire
import GeoIP
import NetAddress

/// Readers for the textual values the schemas share (names, addresses, networks), each with the
/// example its error shows.
enum ConfigParse {
    static let domainNameType = ConfigValueType.text("domain name")
    static let networkType = ConfigValueType.text("network like 192.0.2.0/24")
    static let listenType = ConfigValueType.text("address like 127.0.0.1:5300 or [::1]:5300 (port 53 if left out)")

    static func domainName(_ node: ConfigNode, _ field: String, _ reader: inout ConfigReader) -> DNSName? {
        do { return try DNSName(parsing: node.scalar?.text ?? "", origin: .root) } catch {
            reader.fail(node, field, "\(error)")
            return nil
        }
    }

    static func network(_ node: ConfigNode, _ field: String, _ reader: inout ConfigReader) -> IPNetwork? {
        guard let n = IPNetwork(node.scalar?.text ?? "") else {
            reader.fail(node, field, "'\(node.shownText)' is not a network like 192.0.2.0/24 (host bits must be zero)")
            return nil
        }
        return n
    }

    static func ipv4(_ node: ConfigNode, _ field: String, _ reader: inout ConfigReader) -> [UInt8]? {
        guard let a = IPAddressText.parseIPv4(node.scalar?.text ?? "") else {
            reader.fail(node, field, "'\(node.shownText)' is not an IPv4 address")
            return nil
        }
        return a
    }

    static func ipv6(_ node: ConfigNode, _ field: String, _ reader: inout ConfigReader) -> [UInt8]? {
        guard let a = IPAddressText.parseIPv6(node.scalar?.text ?? "") else {
            reader.fail(node, field, "'\(node.shownText)' is not an IPv6 address")
            return nil
        }
        return a
    }

    static func listenAddress(_ node: ConfigNode, _ field: String, _ reader: inout ConfigReader) -> Endpoint? {
        guard let a = Endpoint(parsing: node.scalar?.text ?? "", defaultPort: 53) else {
            reader.fail(node, field, "'\(node.shownText)' is not an address like 127.0.0.1:5300 or [::1]:5300")
            return nil
        }
        return a
    }
}
