//! formjoin-peers: FormJoin's C ABI from Rust. Prints the peer set for an anycast name.
//!
//!   formjoin-peers NAME [OPTIONS_JSON] [--repeat N] [--watch N]
//!
//! `peers` and `Watch` are the safe wrappers a caller such as formnet would keep; the `extern`
//! block is include/formjoin.h written out in Rust.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::process::ExitCode;
use std::ptr;
use std::sync::mpsc::{channel, Sender};

#[repr(C)]
struct RawWatch {
    _private: [u8; 0],
}

type Callback = extern "C" fn(*const c_char, *mut c_void);

#[link(name = "FormJoinC")]
extern "C" {
    fn formjoin_abi_version() -> c_int;
    fn formjoin_peers(
        name: *const c_char,
        options_json: *const c_char,
        peer_set_json: *mut *mut c_char,
        error: *mut *mut c_char,
    ) -> c_int;
    fn formjoin_watch_start(
        name: *const c_char,
        options_json: *const c_char,
        callback: Option<Callback>,
        context: *mut c_void,
        error: *mut *mut c_char,
    ) -> *mut RawWatch;
    fn formjoin_watch_stop(watch: *mut RawWatch);
    fn formjoin_free(string: *mut c_char);
}

const ABI_VERSION: c_int = 1;

/// Takes a string the library handed out: copies it and frees the library's.
fn take(raw: *mut c_char) -> Option<String> {
    if raw.is_null() {
        return None;
    }
    let text = unsafe { CStr::from_ptr(raw) }.to_string_lossy().into_owned();
    unsafe { formjoin_free(raw) };
    Some(text)
}

/// The result code (0 via DNS, 10 via a fallback, 20 nothing reachable, 64 bad input), the peer set
/// JSON, and the library's message if any.
fn peers(name: &str, options: Option<&str>) -> Result<(i32, Option<String>, Option<String>), String> {
    let name = CString::new(name).map_err(|_| "name holds a NUL".to_string())?;
    let options = options.map(CString::new).transpose().map_err(|_| "options hold a NUL".to_string())?;
    let mut json: *mut c_char = ptr::null_mut();
    let mut error: *mut c_char = ptr::null_mut();
    let code = unsafe {
        formjoin_peers(
            name.as_ptr(),
            options.as_ref().map_or(ptr::null(), |o| o.as_ptr()),
            &mut json,
            &mut error,
        )
    };
    Ok((code, take(json), take(error)))
}

/// A running watch; its emissions arrive on the channel given to `start`. Dropping it stops it.
struct Watch {
    raw: *mut RawWatch,
    sender: *mut Sender<String>,
}

extern "C" fn on_emission(json: *const c_char, context: *mut c_void) {
    // The library's string is valid only during the call: copy it.
    let line = unsafe { CStr::from_ptr(json) }.to_string_lossy().into_owned();
    let sender = unsafe { &*(context as *const Sender<String>) };
    let _ = sender.send(line);
}

impl Watch {
    fn start(name: &str, options: Option<&str>, sender: Sender<String>) -> Result<Watch, String> {
        let name = CString::new(name).map_err(|_| "name holds a NUL".to_string())?;
        let options = options.map(CString::new).transpose().map_err(|_| "options hold a NUL".to_string())?;
        let sender = Box::into_raw(Box::new(sender));
        let mut error: *mut c_char = ptr::null_mut();
        let raw = unsafe {
            formjoin_watch_start(
                name.as_ptr(),
                options.as_ref().map_or(ptr::null(), |o| o.as_ptr()),
                Some(on_emission),
                sender as *mut c_void,
                &mut error,
            )
        };
        if raw.is_null() {
            drop(unsafe { Box::from_raw(sender) });
            return Err(take(error).unwrap_or_else(|| "formjoin_watch_start failed".to_string()));
        }
        Ok(Watch { raw, sender })
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // After stop returns no callback runs, so the sender can be freed.
        unsafe { formjoin_watch_stop(self.raw) };
        drop(unsafe { Box::from_raw(self.sender) });
    }
}

fn main() -> ExitCode {
    let found = unsafe { formjoin_abi_version() };
    if found != ABI_VERSION {
        eprintln!("libFormJoinC has ABI {found}, this program was built for {ABI_VERSION}");
        return ExitCode::from(2);
    }
    let mut args = std::env::args().skip(1);
    let (mut name, mut options, mut repeat, mut emissions) = (None, None, 1usize, 0usize);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => repeat = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            "--watch" => emissions = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            _ if name.is_none() => name = Some(arg),
            _ => options = Some(arg),
        }
    }
    let name = match name {
        Some(name) => name,
        None => {
            eprintln!("usage: formjoin-peers NAME [OPTIONS_JSON] [--repeat N] [--watch N]");
            return ExitCode::from(64);
        }
    };
    if emissions > 0 {
        let (sender, receiver) = channel();
        let watch = match Watch::start(&name, options.as_deref(), sender) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("formjoin_watch_start: {e}");
                return ExitCode::from(64);
            }
        };
        for line in receiver.iter().take(emissions) {
            println!("{line}");
        }
        drop(watch);
        return ExitCode::SUCCESS;
    }
    let mut last = 0;
    for i in 0..repeat {
        match peers(&name, options.as_deref()) {
            Ok((code, json, error)) => {
                last = code;
                if i + 1 == repeat {
                    if let Some(json) = json {
                        println!("{json}");
                    }
                    if let Some(error) = error {
                        eprintln!("formjoin_peers: {error}");
                    }
                }
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(64);
            }
        }
    }
    ExitCode::from(last as u8)
}
