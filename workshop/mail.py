"""Outgoing email over SMTP (standard MAIL_* settings); logged when no server is set."""

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("workshop.mail")


@dataclass
class Attachment:
    """A file attached to an email."""

    filename: str
    content: bytes
    maintype: str
    subtype: str


@dataclass
class Email:
    """A plain-text email with optional attachments."""

    to: str
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)


def build_message(email: Email, sender: str) -> EmailMessage:
    """Turn an Email into a MIME message."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, email.to, email.subject
    message.set_content(email.body)
    for item in email.attachments:
        message.add_attachment(item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename)
    return message


def send_email(email: Email) -> bool:
    """Send through SMTP; never raises (a registration must not fail on a mail outage)."""
    config = current_app.config
    message = build_message(email, config["MAIL_DEFAULT_SENDER"])
    if not config.get("MAIL_SERVER"):
        # Development: the log stands in for the mail server (subject only - no personal data).
        log.info("email not sent (no MAIL_SERVER) subject=%r", email.subject)
        current_app.extensions.setdefault("outbox", []).append(message)
        return False
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("email failed subject=%r", email.subject)
        return False
