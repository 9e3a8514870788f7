//! Console sessions: an API token exchanged for a session cookie.
//!
//! The server keeps the sessions (in memory: a restart signs everyone out).
//! The cookie holds 256 random bits; the server stores only their SHA-256,
//! with the token's hash, id and role, a CSRF token and the expiry. Every
//! request checks the token is still in the tokens file, so revoking a
//! token (`entitle tokens revoke`) ends its sessions within the reload
//! interval. The token itself is never kept, shown or logged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::auth::{Role, constant_time_eq, hex, random_bytes, sha256};
use crate::routes::Caller;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "entitle_session";

/// Most sessions kept at once; signing in past it drops the oldest.
const MAX_SESSIONS: usize = 10_000;

/// One signed-in person.
#[derive(Debug, Clone)]
struct Session {
    token_hash: [u8; 32],
    token_id: String,
    role: Role,
    csrf: String,
    expires: Instant,
    created: Instant,
}

/// The sessions of a server.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_hash: Mutex<HashMap<[u8; 32], Session>>,
}

/// A signed-in caller, as a console handler sees them.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    /// Who they are, for the API's own checks.
    pub(crate) caller: Caller,
    /// The session's CSRF token, put in every form that changes something.
    pub(crate) csrf: String,
    /// The hash of the session id (to sign out).
    key: [u8; 32],
}

/// Why a request has no session.
#[derive(Debug)]
pub(crate) enum NotSignedIn {
    /// No cookie, an unknown or expired session, or a revoked token.
    SignIn,
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        let mut response = Redirect::to("/console/sign-in").into_response();
        // A stale cookie is cleared, so the browser stops sending it.
        if let Ok(value) = clear_cookie().parse() {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        response
    }
}

impl Sessions {
    /// Starts a session for `token` if it is valid: the cookie value to
    /// set, and the token's role.
    pub(crate) fn sign_in(
        &self,
        state: &AppState,
        token: &str,
        ttl: Duration,
    ) -> Option<(String, Role)> {
        let token_hash = sha256(token.trim());
        let tokens = state.tokens().get();
        let (role, token_id) = tokens.verify_hash(&token_hash)?;
        let id = hex(&random_bytes::<32>().ok()?);
        let csrf = hex(&random_bytes::<32>().ok()?);
        let now = Instant::now();
        let session = Session {
            token_hash,
            token_id: token_id.to_owned(),
            role,
            csrf,
            expires: now + ttl,
            created: now,
        };
        let mut map = self.lock();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, s)| s.created).map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        map.insert(sha256(&id), session);
        Some((id, role))
    }

    /// Ends the session `signed_in` belongs to.
    pub(crate) fn sign_out(&self, signed_in: &SignedIn) {
        self.lock().remove(&signed_in.key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        match self.by_hash.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The session the request's cookie names, if it is open and its token
    /// is still valid.
    fn find(&self, state: &AppState, headers: &HeaderMap) -> Option<SignedIn> {
        let id = cookie_value(headers, COOKIE)?;
        let key = sha256(id);
        let mut map = self.lock();
        let session = map.get(&key)?.clone();
        let tokens = state.tokens().get();
        let still_valid = tokens
            .verify_hash(&session.token_hash)
            .is_some_and(|(role, token_id)| role == session.role && token_id == session.token_id);
        if session.expires <= Instant::now() || !still_valid {
            map.remove(&key);
            return None;
        }
        Some(SignedIn {
            caller: Caller::new(session.role, session.token_id),
            csrf: session.csrf,
            key,
        })
    }
}

impl SignedIn {
    /// Whether `presented` is this session's CSRF token (constant time).
    pub(crate) fn csrf_matches(&self, presented: Option<&str>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        constant_time_eq(&sha256(presented), &sha256(&self.csrf))
    }

    /// The caller's role.
    pub(crate) fn role(&self) -> Role {
        self.caller.role()
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = NotSignedIn;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NotSignedIn> {
        let signed_in = state
            .sessions()
            .find(state, &parts.headers)
            .ok_or(NotSignedIn::SignIn)?;
        tracing::Span::current().record("role", signed_in.role().id());
        Ok(signed_in)
    }
}

/// The value of the cookie `name` in the request's `Cookie` headers.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// The `Set-Cookie` value of a new session: not readable by script, sent
/// only to the console on same-site requests, `Secure` when the console is
/// served over TLS.
pub(crate) fn session_cookie(id: &str, ttl: Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={id}; Path=/console; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        ttl.as_secs()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; entitle_session=abc ; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_value(&headers, COOKIE), Some("abc"));
        assert_eq!(cookie_value(&headers, "c"), None);
    }

    #[test]
    fn the_session_cookie_is_http_only_strict_and_secure_over_tls() {
        let cookie = session_cookie("x", Duration::from_secs(60), true);
        assert_eq!(
            cookie,
            "entitle_session=x; Path=/console; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!session_cookie("x", Duration::from_secs(60), false).contains("Secure"));
    }
}
