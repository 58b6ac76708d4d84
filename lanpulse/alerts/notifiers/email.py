"""E-mail over SMTP: plain, STARTTLS or implicit TLS, with optional AUTH.

smtplib is blocking, so each send runs in a worker thread and never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from lanpulse.alerts.notifiers.base import Notifier, body_text, title
from lanpulse.alerts.notifiers.context import BuildContext
from lanpulse.config.alerting import EmailSettings
from lanpulse.core.errors import SinkError
from lanpulse.core.model import AlertEvent, Secret


class EmailNotifier:
    """Sends one message per group to the configured recipients."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        *,
        starttls: bool = False,
        tls: bool = False,
        user: str | None = None,
        password: Secret | None = None,
        ca_file: str | None = None,
        verify_tls: bool = True,
        subject_prefix: str = "[lanpulse]",
        timeout_s: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = list(recipients)
        self.starttls = starttls
        self.tls = tls
        self.user = user
        self.password = password
        self.ca_file = ca_file
        self.verify_tls = verify_tls
        self.subject_prefix = subject_prefix
        self.timeout_s = timeout_s

    def message(self, events: Sequence[AlertEvent]) -> EmailMessage:
        """The message for one group."""
        msg = EmailMessage()
        msg["Subject"] = f"{self.subject_prefix} {title(events)}".strip()
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="lanpulse")
        msg.set_content(body_text(events))
        return msg

    def _tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify_tls:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _deliver(self, msg: EmailMessage) -> None:
        try:
            smtp: smtplib.SMTP
            if self.tls:
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout_s, context=self._tls_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            with smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=self._tls_context())
                    smtp.ehlo()
                if self.user:
                    secret = self.password.reveal() if self.password else ""
                    smtp.login(self.user, secret)
                smtp.send_message(msg, from_addr=self.sender, to_addrs=self.recipients)
        except smtplib.SMTPAuthenticationError as exc:
            raise SinkError(
                f"email: authentication as {self.user!r} refused ({exc.smtp_code}); "
                "check alerting.email.user and password",
                retryable=False,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise SinkError(
                f"email: server said {exc.smtp_code}", retryable=400 <= exc.smtp_code < 500
            ) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise SinkError(f"email: {type(exc).__name__}: {exc}", retryable=True) from None

    async def send(self, events: Sequence[AlertEvent]) -> None:
        """Send the group as one message; SinkError on failure."""
        await asyncio.to_thread(self._deliver, self.message(events))


def build(s: EmailSettings, ctx: BuildContext) -> Notifier:
    """The notifier of an `email:` receiver."""
    return EmailNotifier(
        s.host,
        s.port,
        s.from_,
        s.to,
        starttls=s.starttls,
        tls=s.tls,
        user=s.user,
        password=ctx.secret(s.password, s.password_file, "password"),
        ca_file=ctx.path(s.ca_file) if s.ca_file else None,
        verify_tls=s.verify_tls,
        subject_prefix=s.subject_prefix,
        timeout_s=s.timeout,
    )
