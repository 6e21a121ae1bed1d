// FormControl: changing the configuration while form-dns serves. A change (an API call, a CLI
// command, a DNS UPDATE, a SIGHUP of an edited file) is an edit of the configuration document;
// the edited document is checked by the same schema and loader as `form-dns check`, stored as a
// new version, and swapped in whole. Critical changes wait for a second administrator. No I/O of
// its own but the store's; the swap is the server's, injected.
