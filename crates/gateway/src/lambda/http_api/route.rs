//! An HTTP API route, as its route key names it (`$default`, `ANY /api/{proxy+}`,
//! `GET /jobs/{id}`): which requests it takes, and the path parameters it reads from them.
//!
//! Matching follows API Gateway: `ANY` takes every method; `{name}` takes one non-empty path
//! segment; `{name+}`, only last, takes one or more (`/api/{proxy+}` takes neither `/api` nor
//! `/api/`); `$default` takes everything and names no parameters.

use std::fmt;

use axum::http::Method;

/// A route key that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an HTTP API route key: write `$default` or `METHOD /path`, e.g. `ANY /api/{{proxy+}}`"
)]
pub struct InvalidRouteKey(String);

/// One segment of a route's path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Text the request's segment must equal.
    Literal(String),
    /// `{name}`: any one non-empty segment.
    Param(String),
    /// `{name+}`: the rest of the path, one segment or more.
    Greedy(String),
}

/// A route of an HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// The key as written, which events carry as `routeKey`.
    key: String,
    /// The method taken; `None` for `ANY` and `$default`.
    method: Option<Method>,
    /// The path's segments after the leading `/`; `None` for `$default`.
    path: Option<Vec<Segment>>,
}

impl HttpRoute {
    /// `$default`: every request no other route takes, which here is every request.
    pub fn default_route() -> Self {
        Self {
            key: "$default".into(),
            method: None,
            path: None,
        }
    }

    /// Parses `$default` or `METHOD /path` (`METHOD` may be `ANY`).
    pub fn parse(key: &str) -> Result<Self, InvalidRouteKey> {
        if key == "$default" {
            return Ok(Self::default_route());
        }
        let invalid = || InvalidRouteKey(key.to_owned());
        let (method, path) = key.split_once(' ').ok_or_else(invalid)?;
        let method = match method {
            "ANY" => None,
            m if !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()) => {
                Some(Method::from_bytes(m.as_bytes()).map_err(|_| invalid())?)
            }
            _ => return Err(invalid()),
        };
        let rest = path.strip_prefix('/').ok_or_else(invalid)?;
        let texts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        let mut segments = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let segment = match text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(name) if !name.is_empty() && i + 1 == texts.len() => {
                        Segment::Greedy(name.to_owned())
                    }
                    Some(_) => return Err(invalid()),
                    None if !name.is_empty() => Segment::Param(name.to_owned()),
                    None => return Err(invalid()),
                },
                None if text.contains(['{', '}']) => return Err(invalid()),
                None => Segment::Literal((*text).to_owned()),
            };
            segments.push(segment);
        }
        Ok(Self {
            key: key.to_owned(),
            method,
            path: Some(segments),
        })
    }

    /// The key as written.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The path parameters of a request for `method` on `path` (decoded, starting with `/`),
    /// or `None` when this route does not take it.
    pub fn matches(&self, method: &Method, path: &str) -> Option<Vec<(String, String)>> {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return None;
        }
        let Some(segments) = &self.path else {
            return Some(Vec::new());
        };
        let mut rest = path.strip_prefix('/')?;
        let mut params = Vec::new();
        for (i, segment) in segments.iter().enumerate() {
            if let Segment::Greedy(name) = segment {
                return (!rest.is_empty()).then(|| {
                    params.push((name.clone(), rest.to_owned()));
                    params
                });
            }
            let (text, after) = rest.split_once('/').unwrap_or((rest, ""));
            match segment {
                Segment::Literal(literal) if literal == text => {}
                Segment::Param(name) if !text.is_empty() => {
                    params.push((name.clone(), text.to_owned()))
                }
                _ => return None,
            }
            // Another segment must follow a `/`; the last must end the path.
            let last = i + 1 == segments.len();
            let slash = rest.len() > text.len();
            if last == slash {
                return None;
            }
            rest = after;
        }
        // A route with segments has consumed the whole path by now; `ANY /` takes `/` alone.
        (!segments.is_empty() || rest.is_empty()).then_some(params)
    }
}

impl fmt::Display for HttpRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

impl std::str::FromStr for HttpRoute {
    type Err = InvalidRouteKey;

    fn from_str(key: &str) -> Result<Self, Self::Err> {
        Self::parse(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(route: &str, method: Method, path: &str) -> Option<Vec<(String, String)>> {
        HttpRoute::parse(route)
            .expect("the test's route key parses")
            .matches(&method, path)
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn default_takes_every_request_and_names_no_parameters() {
        assert_eq!(params("$default", Method::PATCH, "/a/b"), Some(vec![]));
        assert_eq!(params("$default", Method::GET, "/"), Some(vec![]));
    }

    #[test]
    fn greedy_parameter_takes_one_segment_or_more_but_not_the_prefix_alone() {
        let route = "ANY /api/{proxy+}";
        assert_eq!(
            params(route, Method::POST, "/api/jobs/7"),
            Some(vec![pair("proxy", "jobs/7")])
        );
        assert_eq!(params(route, Method::GET, "/api"), None);
        assert_eq!(params(route, Method::GET, "/api/"), None);
        assert_eq!(params(route, Method::GET, "/other/jobs"), None);
    }

    #[test]
    fn method_and_single_parameters_must_match() {
        let route = "GET /jobs/{id}";
        assert_eq!(
            params(route, Method::GET, "/jobs/42"),
            Some(vec![pair("id", "42")])
        );
        assert_eq!(params(route, Method::DELETE, "/jobs/42"), None);
        assert_eq!(params(route, Method::GET, "/jobs/"), None);
        assert_eq!(params(route, Method::GET, "/jobs/42/x"), None);
        assert_eq!(params("ANY /", Method::GET, "/"), Some(vec![]));
        assert_eq!(params("ANY /", Method::GET, "/x"), None);
    }

    #[test]
    fn malformed_keys_are_refused() {
        for key in [
            "",
            "GET",
            "get /x",
            "GET x",
            "GET /{proxy+}/x",
            "GET /{}",
            "GET /a{b}",
        ] {
            assert!(HttpRoute::parse(key).is_err(), "{key:?} should not parse");
        }
    }
}
