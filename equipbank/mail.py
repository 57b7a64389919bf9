"""Sending email: SMTP when `MAIL_SERVER` is set; otherwise each message is written as an
`.eml` file in the instance folder's `outbox/` (the demo needs no mail server, and nothing is
silently dropped). Messages are plain French text, with attachments (calendar files).
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from flask import current_app


class MailError(Exception):
    """The message could not be handed to the mail server (the caller records a failure)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=REQUEST"
    content: bytes


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


def sender() -> str:
    config = current_app.config
    return formataddr((config["MAIL_FROM_NAME"], config["MAIL_FROM"]))


def build(message: Message) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender()
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(
        domain=current_app.config["MAIL_FROM"].rpartition("@")[2] or None
    )
    email.set_content(message.text)
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        subtype, _, params = subtype.partition(";")
        email.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype.strip(),
            filename=attachment.filename,
        )
        if params:  # "method=REQUEST": calendar clients read it on the part's Content-Type
            part = list(email.iter_parts())[-1]
            key, _, value = params.strip().partition("=")
            part.set_param(key, value)
    return email


def send(message: Message) -> None:
    """Hand the message to the mail server (or the outbox); MailError when that fails."""
    email = build(message)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        _write_to_outbox(email)
        return
    client: smtplib.SMTP
    try:
        if config["MAIL_USE_SSL"]:
            client = smtplib.SMTP_SSL(
                config["MAIL_SERVER"],
                config["MAIL_PORT"],
                timeout=config["MAIL_TIMEOUT"],
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(
                config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
            )
        try:
            if config["MAIL_USE_TLS"]:
                client.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            client.send_message(email)
        except BaseException:
            client.close()
            raise
    except (OSError, smtplib.SMTPException) as error:
        # The class and code only: the exception text may quote the recipient's address.
        code = getattr(error, "smtp_code", None)
        raise MailError(f"{type(error).__name__}{f' {code}' if code else ''}") from error
    _say_goodbye(client)


def _say_goodbye(client: smtplib.SMTP) -> None:
    """QUIT, once the server has accepted the message. Whatever it answers (a server going
    down says 421) or if the connection drops, the message is sent: a MailError here would
    make the caller send it again (`with client:` raised on any answer but 221)."""
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def outbox_path() -> Path:
    """The folder of the `.eml` files, when there is no mail server (`MAIL_OUTBOX`)."""
    return Path(current_app.config.get("MAIL_OUTBOX") or Path(current_app.instance_path) / "outbox")


def _write_to_outbox(email: EmailMessage) -> None:
    outbox = outbox_path()
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(email.as_bytes())
