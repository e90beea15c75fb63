//! Where the page talks to: turns the page's own URL plus `config.json` into the WebSocket URL,
//! the API base and the token.
//!
//! Pure string work so it is tested natively. It never fetches anything; `net::http` loads
//! `config.json` and hands the parsed [`ClientConfig`] here.

use vidpush_protocol::ClientConfig;

/// The resolved endpoints of one page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// WebSocket URL without the token, e.g. `wss://example.com/ws`.
    pub gateway: String,
    /// Base URL of the HTTP API without a trailing slash, e.g. `https://example.com`; requests
    /// go to `{api}/api/...`.
    pub api: String,
    /// Token sent as `?token=` and `Authorization: Bearer`, when configured and non-empty.
    pub token: Option<String>,
}

impl Endpoints {
    /// Resolves `config` against the URL of the page that loaded it.
    ///
    /// Relative URLs in `config.json` are resolved against the page, so a build deployed under
    /// a sub-path can say `"apiUrl": "../backend"`. An `http(s)` gateway URL becomes `ws(s)`.
    pub fn resolve(page_url: &str, config: &ClientConfig) -> Self {
        let page_origin = origin(page_url);
        let api = match config.api_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => resolve_url(page_url, url),
            _ => page_origin.clone(),
        };
        let gateway = match config.gateway_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => to_ws_scheme(&resolve_url(page_url, url)),
            _ => format!("{}/ws", to_ws_scheme(&page_origin)),
        };
        let token = config
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        Self {
            gateway,
            api: api.trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// The WebSocket URL to open, with `?token=` when a token is configured.
    pub fn socket_url(&self) -> String {
        match &self.token {
            Some(token) => with_query(&self.gateway, "token", token),
            None => self.gateway.clone(),
        }
    }

    /// An absolute API URL for a server-given path such as `/api/jobs/j1/result`.
    pub fn api_url(&self, path: &str) -> String {
        if has_scheme(path) {
            path.to_owned()
        } else if let Some(rest) = path.strip_prefix('/') {
            format!("{}/{rest}", self.api)
        } else {
            format!("{}/{path}", self.api)
        }
    }

    /// URL for an `<img>`: images cannot send headers, so the token rides in the query.
    pub fn media_url(&self, path: &str) -> String {
        let url = self.api_url(path);
        match &self.token {
            Some(token) => with_query(&url, "token", token),
            None => url,
        }
    }

    /// The `Authorization` header value, when a token is configured.
    pub fn bearer(&self) -> Option<String> {
        self.token.as_ref().map(|t| format!("Bearer {t}"))
    }
}

/// `scheme://host[:port]` of an absolute URL (the whole string when it has no path).
pub fn origin(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    url[..scheme_end + 3 + host_end].to_owned()
}

fn has_scheme(url: &str) -> bool {
    url.find("://").is_some_and(|i| {
        url[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
    })
}

/// Resolves `reference` against the absolute URL `base`, as a browser resolves a link.
pub fn resolve_url(base: &str, reference: &str) -> String {
    if has_scheme(reference) {
        return reference.to_owned();
    }
    if let Some(rest) = reference.strip_prefix("//") {
        let scheme = base.split("://").next().unwrap_or("https");
        return format!("{scheme}://{rest}");
    }
    let origin = origin(base);
    let (ref_path, suffix) = split_suffix(reference);
    let joined = if ref_path.starts_with('/') {
        ref_path.to_owned()
    } else {
        let (base_path, _) = split_suffix(&base[origin.len()..]);
        let dir = base_path.rfind('/').map_or("/", |i| &base_path[..=i]);
        format!("{dir}{ref_path}")
    };
    format!("{origin}{}{suffix}", normalize_path(&joined))
}

fn split_suffix(path: &str) -> (&str, &str) {
    let at = path.find(['?', '#']).unwrap_or(path.len());
    path.split_at(at)
}

/// Removes `.` and `..` segments from an absolute path.
fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

fn to_ws_scheme(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        url.to_owned()
    }
}

/// Appends `key=value` to `url`'s query, percent-encoding the value.
pub fn with_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={}", percent_encode(value))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(gateway: Option<&str>, api: Option<&str>, token: Option<&str>) -> ClientConfig {
        ClientConfig {
            gateway_url: gateway.map(Into::into),
            api_url: api.map(Into::into),
            token: token.map(Into::into),
        }
    }

    #[test]
    fn defaults_are_same_origin_with_ws_on_root() {
        let e = Endpoints::resolve("http://127.0.0.1:8080/index.html", &ClientConfig::default());
        assert_eq!(e.gateway, "ws://127.0.0.1:8080/ws");
        assert_eq!(e.api, "http://127.0.0.1:8080");
        assert_eq!(e.token, None);
        assert_eq!(e.socket_url(), "ws://127.0.0.1:8080/ws");
    }

    #[test]
    fn https_page_gets_wss_gateway() {
        let e = Endpoints::resolve("https://example.com/app/", &ClientConfig::default());
        assert_eq!(e.gateway, "wss://example.com/ws");
        assert_eq!(e.api, "https://example.com");
    }

    #[test]
    fn relative_config_urls_resolve_against_sub_path() {
        let page = "https://example.com/tools/vidpush/index.html?x=1#top";
        let e = Endpoints::resolve(page, &config(Some("../socket"), Some("./"), None));
        assert_eq!(e.gateway, "wss://example.com/tools/socket");
        assert_eq!(e.api, "https://example.com/tools/vidpush");
        let e = Endpoints::resolve(page, &config(Some("/ws"), Some("/backend/"), None));
        assert_eq!(e.gateway, "wss://example.com/ws");
        assert_eq!(e.api, "https://example.com/backend");
        assert_eq!(
            e.api_url("/api/health"),
            "https://example.com/backend/api/health"
        );
    }

    #[test]
    fn absolute_config_urls_are_kept_and_http_gateway_becomes_ws() {
        let e = Endpoints::resolve(
            "http://localhost:8081/",
            &config(
                Some("https://abc.execute-api.eu-west-1.amazonaws.com/prod"),
                Some("https://api.example.com/"),
                Some("  "),
            ),
        );
        assert_eq!(
            e.gateway,
            "wss://abc.execute-api.eu-west-1.amazonaws.com/prod"
        );
        assert_eq!(e.api, "https://api.example.com");
        assert_eq!(e.token, None, "a blank token counts as none");
        let e = Endpoints::resolve(
            "http://localhost/",
            &config(Some("wss://gw.example/prod"), None, None),
        );
        assert_eq!(e.gateway, "wss://gw.example/prod");
    }

    #[test]
    fn token_is_percent_encoded_in_socket_and_media_urls() {
        let e = Endpoints::resolve("http://h/", &config(None, None, Some("a b&c=d")));
        assert_eq!(e.socket_url(), "ws://h/ws?token=a%20b%26c%3Dd");
        assert_eq!(
            e.media_url("/api/jobs/j1/thumbnails/0.jpg"),
            "http://h/api/jobs/j1/thumbnails/0.jpg?token=a%20b%26c%3Dd"
        );
        assert_eq!(e.bearer().as_deref(), Some("Bearer a b&c=d"));
        let e = Endpoints::resolve(
            "http://h/",
            &config(Some("ws://h/ws?stage=prod"), None, Some("t")),
        );
        assert_eq!(e.socket_url(), "ws://h/ws?stage=prod&token=t");
    }

    #[test]
    fn resolve_url_handles_dots_and_protocol_relative() {
        assert_eq!(resolve_url("https://a/b/c/d", "../e"), "https://a/b/e");
        assert_eq!(resolve_url("https://a/b/c/d", "./"), "https://a/b/c/");
        assert_eq!(resolve_url("https://a/b/c/d", "//cdn/x"), "https://cdn/x");
        assert_eq!(resolve_url("https://a", "x?y=1"), "https://a/x?y=1");
        assert_eq!(resolve_url("https://a/b/", "../../.."), "https://a/");
    }
}
