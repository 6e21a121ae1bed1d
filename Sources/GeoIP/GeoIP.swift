// GeoIP: where an address is, from MaxMind DB files (read with libmaxminddb, written by our own
// writer) and network maps.
//
// Lives here: `GeoDatabase` (verified on open, refuses corrupt files with a reason), `MMDBWriter`
// (the project's fixture databases and `form-dns geo compile`), `NetworkMap` and `BinaryTrie`
// (longest-prefix lookup), `GeoLocation` and great-circle distance.
//
// Must not live here: choosing answers (FormAuthority's GeoSelector), configuration (FormConfig),
// addresses and networks themselves (NetAddress).
