"""A ``webhook:`` hook with ``format: json`` (the default): ``{"event": ..., "incident": {...}}`` POSTed."""

from __future__ import annotations

import json

from incli.domain.hooks import Hook
from incli.integrations.notifiers import Delivery, Outcome

NAME = "json"


def send(hook: Hook, delivery: Delivery) -> Outcome:
    body = {"event": delivery.event, "incident": delivery.incident, **delivery.extra}
    return post(hook, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def post(hook: Hook, body: bytes) -> Outcome:
    import urllib.error
    import urllib.parse
    import urllib.request

    from incli import __version__

    assert hook.webhook is not None
    request = urllib.request.Request(
        hook.webhook,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"incli/{__version__}"},
    )
    host = (urllib.parse.urlsplit(hook.webhook).hostname or "").lower()
    # Loopback never goes through a proxy (HTTP_PROXY may be set for the outside world).
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if loopback else urllib.request.build_opener()
    try:
        with opener.open(request, timeout=hook.timeout) as response:
            response.read(65536)
            status = response.status
    except urllib.error.HTTPError as exc:
        return Outcome(hook, False, f"HTTP {exc.code} {exc.reason}")
    except urllib.error.URLError as exc:
        return Outcome(hook, False, f"unreachable: {exc.reason}")
    except TimeoutError:
        return Outcome(hook, False, f"no answer within {hook.timeout:g}s")
    except OSError as exc:
        return Outcome(hook, False, f"failed: {exc}")
    return Outcome(hook, True, f"HTTP {status}")
