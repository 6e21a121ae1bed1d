#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Base64 (RFC 4648 section 4) as DNSSEC's presentation formats write keys and signatures: one
/// word, or several separated by whitespace (RFC 4034 2.2, 3.2).
public enum Base64Text {
    public static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// The octets of `words` joined, or nil when they are not base64.
    public static func decode(_ words: [String]) -> [UInt8]? {
        Data(base64Encoded: words.joined()).map { [UInt8]($0) }
    }
}
