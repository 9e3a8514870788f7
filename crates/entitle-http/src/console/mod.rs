//! The console: server-rendered HTML under `/console` for the people who
//! do the work, over the same code paths, tokens and roles as the API.
//!
//! - `sign-in`: an API token exchanged for a session cookie (`session`);
//! - `decide`: a form generated from a policy's facts schema (`form`);
//! - `decisions/{id}`: the outcome, the reasons, the graph with the path
//!   taken, the actions and what each service answered;
//! - `queue`: manual tasks, steps in doubt, failed and dead steps, with
//!   retry, cancel and done for the roles allowed;
//! - `log`: the decision log, filtered and paged, beside the intake events.
//!
//! No script at all; one stylesheet embedded in the binary. Every page is
//! sent with a Content-Security-Policy that allows nothing inline and no
//! framing; every value is escaped by `maud`; every form that changes
//! something carries the session's CSRF token.

mod decide;
mod decision;
mod form;
mod human;
mod log;
mod queue;
mod session;
mod sign_in;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};

use crate::AppState;
use crate::problem::Problem;

pub(crate) use session::Sessions;
use session::SignedIn;

/// The console's stylesheet (its only asset).
pub const STYLESHEET: &str = include_str!("console.css");

/// The Content-Security-Policy of every console response: own stylesheet,
/// no script, no framing, forms posting only to the console.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(start))
        .route("/console/", get(start))
        .route("/console/console.css", get(stylesheet))
        .route("/console/sign-in", get(sign_in::page).post(sign_in::submit))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/decide", get(decide::page))
        .route("/console/decide/{policy}", post(decide::submit))
        .route("/console/decisions/{id}", get(decision::page))
        .route("/console/queue", get(queue::page))
        .route("/console/actions/{id}/{change}", post(queue::change))
        .route("/console/log", get(log::page))
        .layer(middleware::from_fn(security_headers))
}

/// Where a role's work starts: the decide page, or the log for a reader.
fn home(role: crate::auth::Role) -> &'static str {
    if role.may_decide() {
        "/console/decide"
    } else {
        "/console/log"
    }
}

/// `GET /console`: the signed-in role's start page.
async fn start(user: SignedIn) -> Redirect {
    Redirect::to(home(user.role()))
}

/// Adds the console's security headers to every response under `/console`.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// An HTML page with `status`.
fn html_response(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// Which page of the navigation is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nav {
    Decide,
    Queue,
    Log,
    None,
}

/// The page around `body`: the navigation, who is signed in, sign out.
fn layout(title: &str, user: Option<&SignedIn>, nav: Nav, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · entitle" }
                link rel="stylesheet" href="/console/console.css";
            }
            body {
                header.top {
                    a.brand href="/console" { "entitle" }
                    @if let Some(user) = user {
                        nav aria-label="Console" {
                            @if user.role().may_decide() {
                                a href="/console/decide" aria-current=[(nav == Nav::Decide).then_some("page")] { "Decide" }
                            }
                            a href="/console/queue" aria-current=[(nav == Nav::Queue).then_some("page")] { "Queue" }
                            a href="/console/log" aria-current=[(nav == Nav::Log).then_some("page")] { "Log" }
                        }
                        div.who {
                            span { (user.role().id()) " · " code { (user.caller.token_id()) } }
                            form method="post" action="/console/sign-out" {
                                input type="hidden" name="csrf" value=(user.csrf);
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" { (body) }
            }
        }
    }
}

/// An error page: what went wrong, in the API's words, with its status.
fn error_page(user: Option<&SignedIn>, problem: &Problem) -> Response {
    let title = problem.kind.title;
    let body = html! {
        h1 { (title) }
        p.error role="alert" { (problem.detail) }
        p { a href="/console" { "Back to the console" } }
    };
    html_response(problem.status(), layout(title, user, Nav::None, body))
}

/// A refused change: a forged or stale form (403).
fn forbidden(user: &SignedIn, detail: &str) -> Response {
    let problem = Problem::new(crate::problem::FORBIDDEN, detail);
    error_page(Some(user), &problem)
}
