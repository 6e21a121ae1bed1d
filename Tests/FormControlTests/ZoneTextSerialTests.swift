import DNSWire
import Testing

@testable import FormControl

/// A change raises the SOA serial where it is written, keeping the operator's layout and comments.
@Suite struct ZoneTextSerialTests {
    @Test func theSerialIsFoundThroughParenthesesAndComments() {
        let text = """
            $ORIGIN example.test.
            @ IN SOA ns1 hostmaster ( ; the SOA
                    2026112601 ; serial
                    3600 600 1209600 60 )
            @ IN NS ns1 ; keep me
            """
        let edited = ZoneText.replacingSerial(in: text, fromLine: 2, old: 2026112601, new: 2026112602)
        #expect(edited == text.replacingOccurrences(of: "2026112601 ; serial", with: "2026112602 ; serial"))
        // One line, and the wrong serial: nothing is changed blindly.
        #expect(ZoneText.replacingSerial(in: "@ SOA a b 7 1 2 3 4", fromLine: 1, old: 7, new: 8) == "@ SOA a b 8 1 2 3 4")
        #expect(ZoneText.replacingSerial(in: "@ SOA a b 7 1 2 3 4", fromLine: 1, old: 6, new: 8) == nil)
        #expect(ZoneText.replacingSerial(in: "@ SOA a b 7 1 2 3 4", fromLine: 5, old: 7, new: 8) == nil)
    }
}
