// DNSZone: RFC 1035 master files into validated, immutable in-memory zones.
//
// Lives here: the tokenizer and parser (`$ORIGIN`, `$TTL`, `$INCLUDE` confined by `IncludePath`),
// `Zone` (nodes, RRsets, the SOA, zone cuts) and the checks a zone must pass before it is served,
// each error with file and line.
//
// Must not live here: answering queries (FormAuthority), configuration (FormConfig), wire encoding
// (DNSWire, which this module builds on).
