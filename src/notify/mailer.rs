use std::path::PathBuf;

use lettre::message::{header::ContentType, Mailbox};
use lettre::{FileTransport, Message, SmtpTransport, Transport};

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("invalid RELEASEGATE_SMTP_URL: {0}")]
    Url(String),
    #[error("{0}")]
    Send(String),
}

enum Route {
    Smtp(SmtpTransport),
    Files(FileTransport),
}

/// Where mail goes. `smtp://host:port` (plain, for a local relay),
/// `smtp://user:pass@host:587?tls=required` (STARTTLS) or
/// `smtps://user:pass@host:465` (TLS); without a URL, `.eml` files.
pub struct Mailer {
    transport: Route,
    from: Mailbox,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, from: &str, mail_dir: PathBuf) -> Result<Self, MailerError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailerError::Address(from.to_string()))?;
        let transport = match smtp_url {
            Some(url) => Route::Smtp(
                SmtpTransport::from_url(url)
                    .map_err(|e| MailerError::Url(e.to_string()))?
                    .build(),
            ),
            None => {
                std::fs::create_dir_all(&mail_dir)
                    .map_err(|e| MailerError::Send(format!("{}: {e}", mail_dir.display())))?;
                Route::Files(FileTransport::new(mail_dir))
            }
        };
        Ok(Self { transport, from })
    }

    /// Sends one plain-text mail (blocking; run it off the async executor).
    pub fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailerError> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| MailerError::Address(to.to_string()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| MailerError::Send(e.to_string()))?;
        match &self.transport {
            Route::Smtp(t) => t
                .send(&message)
                .map(drop)
                .map_err(|e| MailerError::Send(e.to_string())),
            Route::Files(t) => t
                .send(&message)
                .map(drop)
                .map_err(|e| MailerError::Send(e.to_string())),
        }
    }
}
