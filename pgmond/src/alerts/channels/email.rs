//! E-mail over SMTP with lettre: plain, STARTTLS (required, never opportunistic) or TLS from
//! the first byte, with authentication when a user is set. The message is the notification as
//! plain text; its Message-ID is made of the idempotency key, so mail systems and people can
//! tell a retry from a new message.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use pgmon_common::api::alerts::SmtpTls;
use pgmon_common::crypto::Cipher;

use super::StoredChannel;
use crate::alerts::payload::Payload;

/// An SMTP server gets this long for each step (connect, a command's answer).
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// A new channel's server must greet within this long.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

fn transport(
    c: &StoredChannel,
    cipher: &Cipher,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let host = c.smtp_host.as_deref().ok_or("no smtp_host")?;
    let builder = match c.tls.unwrap_or_default() {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|e| format!("TLS setup: {e}"))?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
            .map_err(|e| format!("TLS setup: {e}"))?,
    };
    let mut builder = builder.timeout(Some(timeout));
    if let Some(port) = c.smtp_port {
        builder = builder.port(port);
    }
    if let Some(user) = &c.username {
        let password = match &c.password {
            Some(p) => p
                .reveal(cipher, "an SMTP password")
                .map_err(|e| e.to_string())?,
            None => String::new(),
        };
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

fn mailbox(a: &str) -> Result<Mailbox, String> {
    a.parse().map_err(|e| format!("{a:?}: {e}"))
}

pub async fn send(c: &StoredChannel, p: &Payload, cipher: &Cipher) -> Result<(), String> {
    let mut message = Message::builder()
        .from(mailbox(c.from.as_deref().unwrap_or_default())?)
        .subject(super::headline(p))
        .message_id(Some(format!("<{}@pgmon>", p.key)))
        .header(ContentType::TEXT_PLAIN);
    for to in &c.to {
        message = message.to(mailbox(to)?);
    }
    let body = format!("{}\n\nIdempotency key: {}\n", super::plain_text(p), p.key);
    let message = message.body(body).map_err(|e| e.to_string())?;
    transport(c, cipher, SMTP_TIMEOUT)?
        .send(message)
        .await
        .map(drop)
        .map_err(|e| format!("SMTP: {e}"))
}

/// Connects and says hello, as a new channel is saved.
pub async fn probe(c: &StoredChannel, cipher: &Cipher) -> Result<(), String> {
    let t = transport(c, cipher, PROBE_TIMEOUT)?;
    match tokio::time::timeout(PROBE_TIMEOUT * 2, t.test_connection()).await {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err("the SMTP server did not accept a connection".into()),
        Ok(Err(e)) => Err(format!("the SMTP server did not answer: {e}")),
        Err(_) => Err(format!(
            "the SMTP server did not answer in {} s",
            (PROBE_TIMEOUT * 2).as_secs()
        )),
    }
}
