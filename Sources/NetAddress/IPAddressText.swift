#if canImport(Glibc)
    import Glibc
#endif

/// IPv4/IPv6 text forms, via the C library's inet_pton/inet_ntop (exact RFC 4291/5952 behaviour).
public enum IPAddressText {
    public static func parseIPv4(_ s: String) -> [UInt8]? {
        var addr = in_addr()
        guard inet_pton(AF_INET, s, &addr) == 1 else { return nil }
        return withUnsafeBytes(of: &addr) { Array($0) }
    }

    public static func parseIPv6(_ s: String) -> [UInt8]? {
        var addr = in6_addr()
        guard inet_pton(AF_INET6, s, &addr) == 1 else { return nil }
        return withUnsafeBytes(of: &addr) { Array($0) }
    }

    public static func format(_ bytes: [UInt8]) -> String {
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        guard bytes.count == 4 || bytes.count == 16 else { return hex(bytes) }
        var out = [CChar](repeating: 0, count: 64)
        let ok = bytes.withUnsafeBytes { src in inet_ntop(family, src.baseAddress, &out, 64) } != nil
        guard ok else { return hex(bytes) }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// What `format` prints for bytes that are no address (the wrong length): plain hex.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }
}
