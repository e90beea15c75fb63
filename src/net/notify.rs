//! Browser notifications: asked for when the person starts an upload (a gesture, as browsers
//! require), shown when a job this page started ends while its tab is hidden.

use web_sys::{Notification, NotificationOptions, NotificationPermission};

/// Asks once whether the page may notify; a browser without notifications is left alone.
pub fn ask_permission() {
    if Notification::permission() == NotificationPermission::Default {
        let _ = Notification::request_permission();
    }
}

/// Shows `title` with `body`, when the tab is hidden and the person allowed notifications.
pub fn tell(title: &str, body: &str) {
    let hidden = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    if hidden && Notification::permission() == NotificationPermission::Granted {
        let options = NotificationOptions::new();
        options.set_body(body);
        let _ = Notification::new_with_options(title, &options);
    }
}
