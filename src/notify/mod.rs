//! Mail to the people who must act: an outbox table written in the same
//! transaction as the change that calls for the mail, and a sender that
//! delivers it later (SMTP, or `.eml` files under the data directory when no
//! SMTP server is configured). Mails carry titles, stages and links — never
//! a finding's value.

mod mailer;
mod outbox;
mod public;
mod release_notices;

pub use mailer::{Mailer, MailerError};
pub use outbox::{deliver_due, enqueue, local_deadline, stage_opened, submitter_told, Delivery};
pub use public::{
    application_decided, application_received, demand_answered, demand_waiting, verification_mail,
    Decided, DemandAnswer, DemandNotice,
};
pub use release_notices::{deadline_extended, release_notice, release_people, ReleaseNotice};
