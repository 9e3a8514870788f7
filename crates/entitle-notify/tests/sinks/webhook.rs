#![expect(
    clippy::string_slice,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]
use entitle_notify::sign;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::common::{KEY, delivery, license_input, sink, typed, weekend_payload};
use super::receiver::Receiver;

/// What a receiver does (docs/actions.md): split the header, recompute the
/// HMAC over `"{t}.{raw body}"`, compare, and refuse old timestamps.
fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    (now - t).abs() <= 300 && mac.verify_slice(&v1).is_ok()
}

#[tokio::test]
async fn the_webhook_posts_the_whole_step_signed_with_hmac_sha256() {
    let receiver = Receiver::ok().await;
    let sink = sink(
        &format!(
            "[sinks.hook]\nkind = \"webhook\"\nurl = \"{}/hooks/entitle\"\nsecret_env = \"HOOK_SECRET\"\n",
            receiver.url
        ),
        &[("HOOK_SECRET", "whsec_test")],
        "hook",
    );
    let payload = weekend_payload("post-to-licensing-channel", "Post it");
    let inputs = [license_input()];

    sink.deliver(&delivery(&typed(&payload), &inputs))
        .await
        .unwrap();

    let request = receiver.only();
    assert_eq!(request.path, "/hooks/entitle");
    assert_eq!(request.header("idempotency-key"), Some(KEY));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let header = request.header("entitle-signature").unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(verify("whsec_test", header, &request.body, now), "{header}");
    assert!(!verify("another-secret", header, &request.body, now));
    let mut tampered = request.body.to_vec();
    tampered[5] ^= 1;
    assert!(!verify("whsec_test", header, &tampered, now));
    assert!(
        !verify("whsec_test", header, &request.body, now + 3600),
        "an old signature is refused"
    );
    let t: i64 = header
        .strip_prefix("t=")
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        header,
        format!("t={t},v1={}", sign(b"whsec_test", t, &request.body))
    );
    assert_eq!(
        request.json(),
        json!({
            "id": "0190c1d2-aaaa-7bbb-8ccc-000000000001",
            "decision_id": "0190c1d2-0000-7000-8000-00000000d001",
            "action": "post-to-licensing-channel",
            "idempotency_key": KEY,
            "payload": payload,
            "inputs": [{"action": "email-license", "sink": "mechanizer", "succeeded": true,
                        "response": {"license": super::common::LICENSE}, "last_error": null}],
        })
    );
}

/// The first ```python block of docs/actions.md: the receiver's check.
fn documented_verifier() -> String {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/actions.md"
    ))
    .unwrap();
    let start = page.find("```python\n").unwrap() + "```python\n".len();
    let end = start + page[start..].find("```").unwrap();
    page[start..end].to_owned()
}

/// A `python3` that runs: the one on the `PATH`, else Debian's (which
/// `.ci/run` installs with python3-aiosmtpd).
fn python3() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|python| {
        std::process::Command::new(python)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

#[tokio::test]
async fn the_documented_python_verifier_accepts_a_delivery_and_refuses_a_forgery() {
    let Some(python) = python3() else {
        super::skip::skip_unless_ci(
            "no python3 to run the documented verifier",
            "to run it: `apt-get install -y python3`; .ci/run installs it with python3-aiosmtpd",
        );
        return;
    };
    let receiver = Receiver::ok().await;
    let sink = sink(
        &format!(
            "[sinks.hook]\nkind = \"webhook\"\nurl = \"{}/h\"\nsecret_env = \"HOOK_SECRET\"\n",
            receiver.url
        ),
        &[("HOOK_SECRET", "whsec_test")],
        "hook",
    );
    let payload = weekend_payload("engage-lr-team", "Ask the L&R team — «émergence»");
    sink.deliver(&delivery(&typed(&payload), &[]))
        .await
        .unwrap();
    let request = receiver.only();
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body");
    std::fs::write(&body, &request.body).unwrap();
    let script = format!(
        "{}\nimport sys\nprint(verify(sys.argv[1].encode(), sys.argv[2], open(sys.argv[3], 'rb').read()))\n",
        documented_verifier()
    );
    let run = |secret: &str| {
        let out = std::process::Command::new(python)
            .args([
                "-c",
                &script,
                secret,
                request.header("entitle-signature").unwrap(),
            ])
            .arg(&body)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(run("whsec_test"), "True");
    assert_eq!(run("not-the-secret"), "False");
}
