"""Mailing a capacity report: the HTML file as an attachment, through `alerting.email`."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from lanpulse.alerts.service import build_notifiers
from lanpulse.config.settings import LoadedConfig
from lanpulse.core.errors import ConfigError, LanpulseError, SinkError
from lanpulse.reports.capacity import CapacityReport
from lanpulse.reports.render import to_html


def mail_report(loaded: LoadedConfig, report: CapacityReport) -> None:
    """Send the HTML report through the `alerting.email` server, to `reports.email_to`
    (default: the alerting recipients); LanpulseError when the server refuses it."""
    if loaded.settings.alerting.email is None:
        raise ConfigError(
            "--email needs an `alerting.email` section (the SMTP server)",
            file=loaded.path,
            key="alerting.email",
        )
    notifier = build_notifiers(loaded.settings.alerting, loaded.base_dir)["email"]
    recipients = loaded.settings.reports.email_to or notifier.recipients  # type: ignore[attr-defined]
    msg = EmailMessage()
    msg["Subject"] = f"lanpulse capacity report {report.period_start} to {report.period_end}"
    msg["From"] = notifier.sender  # type: ignore[attr-defined]
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="lanpulse")
    msg.set_content("The capacity report is attached as one HTML file.")
    msg.add_attachment(
        to_html(report).encode(),
        maintype="text",
        subtype="html",
        filename=f"capacity-{report.period_start}.html",
    )
    notifier.recipients = list(recipients)  # type: ignore[attr-defined]
    try:
        # The e-mail receiver of alerting, reused: one SMTP implementation (TLS, login, errors).
        notifier._deliver(msg)  # type: ignore[attr-defined]
    except SinkError as exc:
        raise LanpulseError(str(exc)) from None
