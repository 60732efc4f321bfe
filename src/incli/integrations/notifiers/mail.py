"""The ``email`` hook: one message per event over SMTP (stdlib ``smtplib``).

``security`` is ``starttls`` (the default, port 587), ``ssl`` (port 465) or ``none`` (for a
relay on this machine). Credentials come from the environment only: the variables the
hook's ``smtp.username_env`` and ``smtp.password_env`` name (INC_SMTP_USERNAME and
INC_SMTP_PASSWORD by default); without them no login is tried. incli never sends
credentials over an unencrypted connection to another host.

The subject is the one-line headline; the body is the event's message (its template)
and then the incident as text.
"""

from __future__ import annotations

import os
import re
from typing import Any

from incli.domain.hooks import Hook
from incli.integrations.notifiers import Delivery, Outcome, cut

NAME = "email"
MAX_SUBJECT = 200
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _loopback(host: str) -> bool:
    return host.lower() in ("localhost", "::1") or host.startswith("127.")


def incident_text(incident: dict[str, Any] | None) -> str:
    """The incident as plain text: its fields, then its timeline, one entry a line."""
    if not incident:
        return ""
    lines = []
    for key in ("id", "title", "severity", "status", "service", "commander", "summary"):
        value = incident.get(key)
        if value not in (None, ""):
            lines.append(f"{key.capitalize() + ':':<12} {value}")
    for key in ("started_at", "detected_at", "opened_at", "acknowledged_at", "mitigated_at", "resolved_at"):
        if incident.get(key):
            lines.append(f"{key + ':':<17} {incident[key]}")
    timeline = [e for e in incident.get("timeline") or [] if isinstance(e, dict)]
    if timeline:
        lines.append("")
        lines.append("Timeline:")
        for entry in timeline:
            by = f" ({entry['by']})" if entry.get("by") else ""
            lines.append(f"  {entry.get('at')}  {entry.get('kind')}{by}: {entry.get('text') or ''}")
    return "\n".join(lines)


def build(hook: Hook, delivery: Delivery) -> Any:
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    assert hook.email is not None and hook.smtp is not None
    mail = EmailMessage()
    mail["Subject"] = cut(_CONTROL.sub(" ", delivery.line), MAX_SUBJECT)
    mail["From"] = hook.smtp.sender
    mail["To"] = ", ".join(hook.email)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=hook.smtp.sender.rpartition("@")[2])
    if delivery.field("id"):
        mail["X-Incli-Incident"] = _CONTROL.sub(" ", delivery.field("id"))
    mail["X-Incli-Event"] = _CONTROL.sub(" ", delivery.event)
    body = delivery.text
    details = incident_text(delivery.incident)
    if details:
        body += "\n\n" + details
    mail.set_content(body + "\n")
    return mail


def send(hook: Hook, delivery: Delivery) -> Outcome:
    import smtplib
    import ssl

    smtp = hook.smtp
    assert smtp is not None and hook.email is not None
    username = os.environ.get(smtp.username_env, "")
    password = os.environ.get(smtp.password_env, "")
    if bool(username) != bool(password):
        return Outcome(hook, False, f"set both {smtp.username_env} and {smtp.password_env}, or neither")
    if username and smtp.security == "none" and not _loopback(smtp.host):
        return Outcome(
            hook, False, f"will not send credentials unencrypted to {smtp.host}: use security starttls or ssl"
        )
    mail = build(hook, delivery)
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=hook.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=hook.timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if username:
                client.login(username, password)
            refused = client.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return Outcome(hook, False, f"SMTP {exc.smtp_code} {cut(text.strip(), 200)}")
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(hook, False, f"every recipient was refused: {', '.join(exc.recipients)}")
    except smtplib.SMTPException as exc:
        return Outcome(hook, False, f"SMTP failed: {exc}")
    except TimeoutError:
        return Outcome(hook, False, f"no answer within {hook.timeout:g}s")
    except OSError as exc:
        return Outcome(hook, False, f"unreachable: {exc.strerror or exc}")
    if refused:
        return Outcome(hook, False, f"refused for {', '.join(sorted(refused))}")
    return Outcome(hook, True, f"sent to {len(hook.email)} recipient{'s' if len(hook.email) != 1 else ''}")
