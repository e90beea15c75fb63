//! Any text a client may send: selection never panics, only picks a registered non-lifecycle
//! route that the message's `action` names, and answers Forbidden only without `$default`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vidpush_gateway::selection::{Selection, action_of, select_route};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The first byte decides the registered routes, so both branches get explored.
    let has_default = data.first().is_some_and(|b| b & 1 == 1);
    let registered = |key: &str| key.len() % 2 == 0 || key.starts_with('$');
    match select_route(text, registered, has_default) {
        Selection::Route(key) => {
            assert_eq!(action_of(text).as_deref(), Some(key.as_str()));
            assert!(registered(&key));
            assert!(!["$connect", "$disconnect", "$default"].contains(&key.as_str()));
        }
        Selection::Default => assert!(has_default),
        Selection::Forbidden => assert!(!has_default),
    }
});
