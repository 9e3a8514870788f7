//! Signing in with an API token, and out.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::session::{SignedIn, clear_cookie, session_cookie};
use super::{Nav, forbidden, html_response, layout};
use crate::AppState;

/// `GET /console/sign-in`.
pub(super) async fn page() -> Response {
    html_response(StatusCode::OK, sign_in_form(None))
}

fn sign_in_form(error: Option<&str>) -> maud::Markup {
    let body = html! {
        div.narrow {
            h1 { "Sign in" }
            p { "Paste the API token you were given (" code { "entitle tokens add" } "). "
                "The console allows exactly what the token's role may do over the API." }
            form method="post" action="/console/sign-in" {
                div.field {
                    label for="token" { "API token" }
                    input #token type="password" name="token" required autocomplete="off"
                        aria-describedby=[error.map(|_| "token-error")]
                        aria-invalid=[error.map(|_| "true")];
                    @if let Some(error) = error {
                        p.error #token-error role="alert" { (error) }
                    }
                }
                button type="submit" { "Sign in" }
            }
        }
    };
    layout("Sign in", None, Nav::None, body)
}

#[derive(Deserialize)]
pub(super) struct SignInForm {
    token: String,
}

/// `POST /console/sign-in`: a valid token starts a session.
pub(super) async fn submit(
    State(state): State<AppState>,
    Form(form): Form<SignInForm>,
) -> Response {
    let ttl = state.options().console.session_ttl;
    let Some((id, role)) = state.sessions().sign_in(&state, &form.token, ttl) else {
        return html_response(
            StatusCode::UNAUTHORIZED,
            sign_in_form(Some("The token is not valid (unknown or revoked).")),
        );
    };
    let mut response = Redirect::to(super::home(role)).into_response();
    let cookie = session_cookie(&id, ttl, state.options().console.secure_cookie);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub(super) struct SignOutForm {
    csrf: Option<String>,
}

/// `POST /console/sign-out`.
pub(super) async fn sign_out(
    user: SignedIn,
    State(state): State<AppState>,
    Form(form): Form<SignOutForm>,
) -> Response {
    if !user.csrf_matches(form.csrf.as_deref()) {
        return forbidden(
            &user,
            "the form is not this session's (CSRF token missing or wrong)",
        );
    }
    state.sessions().sign_out(&user);
    let mut response = Redirect::to("/console/sign-in").into_response();
    if let Ok(value) = HeaderValue::from_str(&clear_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
