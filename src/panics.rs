//! Panics are visible: a hook installed once per isolate writes the panic, with the
//! id of the request that was being served, as one JSON line on `console.error`, and
//! then hands it to `console_error_panic_hook` for the message and stack. Without it
//! a panic in Wasm is an opaque "unreachable" trap.

use std::cell::RefCell;
use std::sync::Once;

thread_local! {
    /// The request this isolate is serving (Workers run one request at a time per
    /// isolate thread; interleaved requests overwrite it, which only blurs a log line).
    static CURRENT_REQUEST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// Installs the hook on the first request of the isolate.
pub fn install_once() {
    INSTALL.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let request_id = CURRENT_REQUEST.with(|current| current.borrow().clone());
            worker::console_error!("{}", panic_line(request_id.as_deref(), &info.to_string()));
            console_error_panic_hook::hook(info);
        }));
    });
}

/// Remembers which request is being served, for the hook.
pub fn serving(request_id: &str) {
    CURRENT_REQUEST.with(|current| *current.borrow_mut() = Some(request_id.to_owned()));
}

/// The log line for a panic: the request id and where and why the code panicked
/// (the message is our own code's, never request data).
fn panic_line(request_id: Option<&str>, panic: &str) -> String {
    serde_json::json!({
        "level": "error",
        "request_id": request_id,
        "error": format!("panic: {panic}"),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_line_names_the_request() {
        let line: serde_json::Value = serde_json::from_str(&panic_line(
            Some("req-7"),
            "panicked at src/x.rs:1:1: index out of bounds",
        ))
        .unwrap();
        assert_eq!(line["request_id"], "req-7");
        assert_eq!(line["level"], "error");
        assert!(
            line["error"]
                .as_str()
                .unwrap()
                .starts_with("panic: panicked at src/x.rs")
        );
    }

    #[test]
    fn the_request_being_served_is_remembered() {
        serving("req-8");
        let current = CURRENT_REQUEST.with(|current| current.borrow().clone());
        assert_eq!(current.as_deref(), Some("req-8"));
    }
}
