"""An SMS gateway that keeps what it would send (the notify tests share it)."""

from __future__ import annotations


class RecordingSms:
    sent: list[tuple[str, str, str]] = []

    def send(self, phone: str, text: str, key: str) -> None:
        RecordingSms.sent.append((phone, text, key))
