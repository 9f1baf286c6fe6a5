"""The SECRET_KEY of a server started without one (`make run`): made once at random and kept in the
data folder (`secret_key`, mode 0600), read again on every later start. Imported by settings, so it
uses nothing of Django."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"


def secret_key_for(folder: Path, *, create: bool, database: Path | None = None) -> str | None:
    """The key kept in `folder`/secret_key; None when there is none and it may not be made.

    With `create`, a missing key is made (50 random URL-safe bytes' worth of text, 0600, written once
    however many processes start together: the first link wins, the others read it) — unless
    `database`, the SQLite file in the same folder, already exists: it was filled under the public
    development key, and a new key would lock its personal data away (start it afresh to get one)."""
    path = folder / FILE_NAME
    if path.exists():
        return path.read_text(encoding="ascii").strip() or None
    if not create or (database is not None and database.exists()):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    draft = folder / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(50) + "\n")
    try:
        os.link(draft, path)  # atomic: fails if another process made it first
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text(encoding="ascii").strip()
