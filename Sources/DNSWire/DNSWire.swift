// DNSWire: the DNS message codec (RFC 1035, 3596, 6891, 7871), ours because no Swift DNS library
// exists here.
//
// Lives here: names, headers, questions, record types with one file per RDATA type and its RFC
// text (`Records/`), EDNS and Client Subnet, whole-message parse and encode with compression and
// truncation, bounds-checked readers and writers whose reads fail cleanly on short input, the
// zero-allocation query view the servers' hot path uses (`DNSQueryView`, `FoldedNameHash`), and
// the presentation (master-file) forms of records.
//
// Must not live here: I/O of any kind, clocks, zones (DNSZone), answering (FormAuthority),
// addresses beyond their wire bytes (NetAddress). Every type is a value; nothing here traps on
// input from the network.
