"""The forge HTTP client: JSON over urllib, bounded retries, rate limits, pacing.

- 429, and 403 that is a (secondary) rate limit, wait for ``Retry-After`` or until
  ``X-RateLimit-Reset`` / ``RateLimit-Reset``, else back off exponentially; while one
  request waits, every thread's next request waits too (the limit is per token).
- 5xx, timeouts and refused connections are retried a bounded number of times.
- No single wait exceeds ``max_wait``: a longer one fails the request (the repository
  is ``failed``, ``--only-failed`` picks it up later) instead of stalling the run.
- ``sleep`` and ``clock`` are injectable, so tests never wait.
- Every message is passed through ``redact``: no token in an error, a log or a report.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlencode


class ForgeError(Exception):
    """A forge request failed for good; ``str()`` is one redacted line."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class Redactor:
    def __init__(self, *secrets: str) -> None:
        import base64

        values = {s for s in secrets if s}
        for s in list(values):
            for user in ("x-access-token", "oauth2"):
                values.add(base64.b64encode(f"{user}:{s}".encode()).decode())
        self._secrets = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, "***")
        return text


class Pacer:
    """At most ``per_minute`` calls a minute, spread evenly, across threads."""

    def __init__(self, per_minute: float, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._sleep, self._clock = sleep, clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> float:
        if not self._interval:
            return 0.0
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            self._sleep(slot - now)
        return slot - now


class Http:
    def __init__(self, base: str, headers: Mapping[str, str], redact: Callable[[str], str] = lambda s: s,
                 timeout: float = 30.0, retries: int = 4, max_wait: float = 300.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time) -> None:
        self.base = base.rstrip("/")
        self._headers = dict(headers)
        self._redact = redact
        self._timeout, self._retries, self._max_wait = timeout, retries, max_wait
        self._sleep, self._clock = sleep, clock
        self._resume_at = 0.0
        self._lock = threading.Lock()

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None,
                body: Any = None) -> Response:
        url = path if "://" in path else f"{self.base}{path}"
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        what = f"{method} {self._redact(_short(url, self.base))}"
        for attempt in range(self._retries + 1):
            self._wait_gate()
            last = attempt == self._retries
            try:
                resp = self._send(method, url, body)
            except (TimeoutError, socket.timeout, urllib.error.URLError, ConnectionError,
                    http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                if last:
                    raise ForgeError(f"{what}: {self._redact(str(reason) or type(exc).__name__)}") from None
                self._sleep(self._backoff(attempt))
                continue
            if resp.status < 300:
                return resp
            wait = self._rate_limit_wait(resp, attempt)
            if wait is not None:
                if wait > self._max_wait:
                    raise ForgeError(f"{what}: rate limited for {wait:.0f}s more (over the {self._max_wait:.0f}s "
                                     "limit); re-run later with --only-failed", resp.status)
                if last:
                    raise ForgeError(f"{what}: still rate limited after {self._retries + 1} tries", resp.status)
                self._pause(wait)
                continue
            if resp.status >= 500 and not last:
                self._sleep(self._backoff(attempt))
                continue
            raise ForgeError(f"{what}: HTTP {resp.status}{_message(resp, self._redact)}", resp.status)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, url: str, body: Any) -> Response:
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self._headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as r:  # noqa: S310 (the forge's own URL)
                return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as err:
            try:
                payload = err.read()
            except (OSError, http.client.HTTPException):
                payload = b""
            return Response(err.code, {k.lower(): v for k, v in (err.headers or {}).items()}, payload)

    def _rate_limit_wait(self, resp: Response, attempt: int) -> float | None:
        if resp.status not in (403, 429):
            return None
        h = resp.headers
        after = h.get("retry-after")
        if after:
            return _retry_after(after, self._clock())
        reset = h.get("x-ratelimit-reset") or h.get("ratelimit-reset")
        remaining = h.get("x-ratelimit-remaining", h.get("ratelimit-remaining"))
        if reset and remaining == "0":
            try:
                return max(0.0, float(reset) - self._clock()) + 1.0
            except ValueError:
                pass
        if resp.status == 429:
            return self._backoff(attempt)
        if b"rate limit" in resp.body.lower():  # GitHub's secondary limit: wait at least a minute
            return 60.0 * 2 ** attempt
        return None  # a real 403: permission denied

    def _backoff(self, attempt: int) -> float:
        return min(self._max_wait, 2.0 ** attempt)

    def _pause(self, seconds: float) -> None:
        with self._lock:
            self._resume_at = max(self._resume_at, self._clock() + seconds)

    def _wait_gate(self) -> None:
        with self._lock:
            delay = self._resume_at - self._clock()
        if delay > 0:
            self._sleep(delay)


def _retry_after(value: str, now: float) -> float:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 60.0
    return max(0.0, when.timestamp() - now)


def _short(url: str, base: str) -> str:
    return url[len(base):] if url.startswith(base) else url


def _message(resp: Response, redact: Callable[[str], str]) -> str:
    try:
        data = resp.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        msg = data.get("message") or data.get("error") or ""
        if isinstance(msg, (list, dict)):
            msg = json.dumps(msg)
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            msg = f"{msg} ({json.dumps(errors)[:200]})"
        return f": {redact(str(msg))[:300]}" if msg else ""
    return ""
