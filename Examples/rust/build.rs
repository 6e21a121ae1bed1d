// Links libFormJoinC.so from $FORMJOIN_LIB_DIR (SwiftPM's build folder, e.g. .build/debug), and
// records that folder as the binary's run path so it finds the library when run.
fn main() {
    println!("cargo:rerun-if-env-changed=FORMJOIN_LIB_DIR");
    let dir = std::env::var("FORMJOIN_LIB_DIR")
        .expect("set FORMJOIN_LIB_DIR to the folder holding libFormJoinC.so (swift build --show-bin-path)");
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rustc-link-lib=dylib=FormJoinC");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
}
