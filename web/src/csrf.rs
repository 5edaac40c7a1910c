//! CSRF protection for the HTML form, with the double-submit cookie pattern.
//!
//! A page with a form sets a random token in a `SameSite=Strict`, `HttpOnly` cookie
//! and repeats it in a hidden field. A POST is accepted only when both agree: another
//! site can make the browser send the cookie, but cannot read it to fill the field.
//! (The JSON API needs no token: it only accepts `application/json`, which a
//! cross-site form cannot send without a CORS preflight that we never allow.)

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

/// The cookie's name.
pub const COOKIE_NAME: &str = "sb_csrf";

/// The token in the request's cookie, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|token| token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The request's token, or a new one with the `Set-Cookie` header to send it.
pub fn token_for(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    if let Some(token) = cookie_token(headers) {
        return (token, None);
    }
    let token = new_token();
    let cookie = format!("{COOKIE_NAME}={token}; Path=/; SameSite=Strict; HttpOnly");
    (token, HeaderValue::from_str(&cookie).ok())
}

/// True when the form's token matches the cookie's.
pub fn verify(headers: &HeaderMap, form_token: &str) -> bool {
    cookie_token(headers)
        .is_some_and(|cookie| constant_time_eq(cookie.as_bytes(), form_token.as_bytes()))
}

/// Adds the `Set-Cookie` header, when there is one.
pub fn set_cookie(headers: &mut HeaderMap, cookie: Option<HeaderValue>) {
    if let Some(cookie) = cookie {
        headers.append(SET_COOKIE, cookie);
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    // The OS random source failing is not something a web page can recover from;
    // a zero token would still be per-cookie and checked, never shared.
    if getrandom::fill(&mut bytes).is_err() {
        tracing::error!("OS random source failed; CSRF token is weak");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_visitor_gets_a_cookie_and_a_returning_one_keeps_theirs() {
        let (token, cookie) = token_for(&HeaderMap::new());
        assert_eq!(token.len(), 32);
        let cookie = cookie.unwrap();
        assert!(
            cookie
                .to_str()
                .unwrap()
                .contains("SameSite=Strict; HttpOnly")
        );

        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE_NAME}={token}")).unwrap(),
        );
        let (again, none) = token_for(&headers);
        assert_eq!(again, token);
        assert!(none.is_none());
        assert!(verify(&headers, &token));
        assert!(!verify(&headers, "0".repeat(32).as_str()));
        assert!(!verify(&HeaderMap::new(), &token));
    }

    #[test]
    fn malformed_cookies_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("sb_csrf=<script>"));
        assert_eq!(cookie_token(&headers), None);
    }
}
