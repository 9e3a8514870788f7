use entitle_notify::{DeliveryError, Sink};
use serde_json::json;

use super::common::{KEY, LICENSE, delivery, license_input, sink, typed, weekend_payload};
use super::smtp::SmtpServer;

fn mailer(port: u16, password: &str) -> Sink {
    sink(
        &format!(
            "[sinks.mail]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nusername = \"mailer\"\npassword_env = \"SMTP_PASSWORD\"\nfrom = \"Licensing <licensing@example.com>\"\nsubject = \"Your temporary license\"\n"
        ),
        &[("SMTP_PASSWORD", password)],
        "mail",
    )
}

#[tokio::test]
async fn the_email_arrives_with_the_license_attached() {
    let Some(server) = SmtpServer::start().await else {
        return;
    };
    let sink = mailer(server.port, "s3cret");
    let payload = weekend_payload(
        "email-license",
        "Generate a 5-day Ultimate license and email it",
    );
    let mut input = license_input();
    input.response = Some(json!({"license": LICENSE, "filename": "ultimate.gitlab-license"}));

    let response = sink
        .deliver(&delivery(&typed(&payload), &[input]))
        .await
        .unwrap();

    assert_eq!(response["smtp"]["code"], json!("250"));
    let messages = server.wait_for(1).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let m = &messages[0];
    assert_eq!(m["authenticated"], json!(true));
    assert_eq!(m["mail_from"], json!("licensing@example.com"));
    assert_eq!(m["rcpt_tos"], json!(["ada@example.com"]));
    assert_eq!(m["from"], json!("Licensing <licensing@example.com>"));
    assert_eq!(m["to"], json!("ada@example.com"));
    assert_eq!(m["subject"], json!("Your temporary license"));
    assert_eq!(m["message_id"], json!(format!("<{KEY}@example.com>")));
    let text = m["text"].as_str().unwrap();
    assert!(
        text.contains(
            "Your license is attached: ultimate plan, 134 users, 5 days, expiring 2026-12-06."
        ),
        "{text}"
    );
    assert!(
        text.contains("Ticket: https://support.example.com/agent/tickets/4711"),
        "{text}"
    );
    assert_eq!(
        m["attachments"],
        json!([{"filename": "ultimate.gitlab-license", "content_type": "application/octet-stream", "content": LICENSE}])
    );
}

#[tokio::test]
async fn without_a_license_input_the_email_carries_the_text_and_no_attachment() {
    let Some(server) = SmtpServer::start().await else {
        return;
    };
    let sink = mailer(server.port, "s3cret");
    let payload = weekend_payload(
        "ask-customer-to-open-ticket",
        "Please open a ticket about the activation error",
    );

    sink.deliver(&delivery(&typed(&payload), &[]))
        .await
        .unwrap();

    let messages = server.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["attachments"], json!([]));
    assert!(
        messages[0]["text"]
            .as_str()
            .unwrap()
            .contains("Please open a ticket about the activation error")
    );
}

#[tokio::test]
async fn a_refused_recipient_or_login_is_permanent_and_a_closed_port_retryable() {
    let Some(server) = SmtpServer::start().await else {
        return;
    };
    let mut payload = weekend_payload("email-license", "Mail it");
    payload["requester_email"] = json!("nobody@example.com");
    let inputs = [license_input()];

    let refused = mailer(server.port, "s3cret")
        .deliver(&delivery(&typed(&payload), &inputs))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, DeliveryError::Permanent { message, .. } if message.contains("no such user")),
        "{refused:?}"
    );

    let bad_login = mailer(server.port, "wrong")
        .deliver(&delivery(&typed(&payload), &inputs))
        .await
        .unwrap_err();
    assert!(
        matches!(&bad_login, DeliveryError::Permanent { .. }),
        "{bad_login:?}"
    );
    assert!(
        !bad_login.to_string().contains("wrong"),
        "no password in the error: {bad_login}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = mailer(port, "s3cret")
        .deliver(&delivery(&typed(&payload), &inputs))
        .await
        .unwrap_err();
    assert!(closed.is_retryable(), "{closed:?}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn tls_wrapper_mode_speaks_tls_to_the_server() {
    let Some(server) = SmtpServer::start().await else {
        return;
    };
    let sink = sink(
        &format!(
            "[sinks.mail]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"tls\"\nfrom = \"licensing@example.com\"\ntimeout_seconds = 3\n",
            server.port
        ),
        &[],
        "mail",
    );
    let payload = weekend_payload("email-license", "Mail it");

    // The plain-text test server cannot answer a TLS handshake.
    let error = sink
        .deliver(&delivery(&typed(&payload), &[]))
        .await
        .unwrap_err();

    assert!(error.is_retryable(), "{error:?}");
    assert!(server.messages().is_empty());
}
