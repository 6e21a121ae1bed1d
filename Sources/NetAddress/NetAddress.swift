// NetAddress: the one home for IP addresses, networks, endpoints and their text and sockaddr forms.
//
// Lives here: `IPAddress` (two 64-bit words, the form lookups and ECS use), `IPNetwork` (CIDR),
// `Endpoint` (a literal address and a port, as configs, sockets and JSON carry it), the text
// forms (`IPAddressText`, `HostPortText`) and `SockaddrText`, the one place a C sockaddr is filled.
// Every other module converts to these at its edge (NIO's SocketAddress in the server, the wire
// bytes of A/AAAA records in DNSWire) and holds addresses as these types inside.
//
// Must not live here: DNS (names, records), sockets' I/O, anything with a dependency. This module
// depends on the C library alone, so the wire codec, GeoIP, the server and the join client can all
// share it.
