"""Personal data at rest (个人信息加密存储): petitioners' phone, ID number and address, the recipients of
notices and the API's stored answers are kept encrypted, and phone and ID number are found again by a
keyed hash (blind index) instead of by their text.

- `encrypt` / `decrypt`: Fernet (AES-128-CBC with HMAC-SHA256, `cryptography`) under the keys of
  settings.DATA_KEYS (XINFANG_DATA_KEYS, comma-separated, newest first): the newest encrypts, every one
  of them decrypts (MultiFernet), so a key is added before the rows move to it (`personal_data_rekey`).
- `lookup_digest(kind, value)`: HMAC-SHA256 of the normalised value under settings.LOOKUP_KEY
  (XINFANG_LOOKUP_KEY), the same for the same number: an indexed column compared by equality
  (Petitioner.phone_digest, .id_number_digest). It reveals only that two rows hold the same number.
- `EncryptedTextField`: a model field that stores `encrypt(value)` and reads back `decrypt(...)`; it
  cannot be compared in SQL (a filter on it raises, except for emptiness): query its `DigestField`.
- Without XINFANG_DATA_KEYS / XINFANG_LOOKUP_KEY, keys are derived from SECRET_KEY (demo and tests);
  a system check warns when DEBUG is off (`petitions.W010`, `petitions.W011`) and refuses a malformed
  key (`petitions.E010`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models, transaction


class PersonalDataKeyError(ImproperlyConfigured):
    """A value none of the configured keys opens (a key was dropped before `personal_data_rekey` ran)."""


# ---------------------------------------------------------------- normalised as stored and matched


def phone_normalise(text: str) -> str:
    """A phone number as stored and matched: digits only, without the country code 86."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def id_number_normalise(text: str) -> str:
    """An ID number (居民身份证号码) as stored and matched: letters and digits, upper case."""
    return "".join(ch for ch in text if ch.isalnum()).upper()


NORMALISERS: dict[str, Callable[[str], str]] = {
    "phone": phone_normalise,
    "id_number": id_number_normalise,
    "recipient": str.strip,  # a notice's mobile number or e-mail address, as the notice carries it
}


# ---------------------------------------------------------------- keys


def _derived(purpose: str) -> bytes:
    """32 bytes derived from SECRET_KEY for one purpose: the development keys."""
    return _derive(settings.SECRET_KEY, purpose)


@lru_cache(maxsize=8)
def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"xinfang.personal-data.{purpose}".encode(), hashlib.sha256).digest()


def data_keys() -> tuple[str, ...]:
    """The Fernet keys, newest first: XINFANG_DATA_KEYS, then the one derived from SECRET_KEY. The derived
    key encrypts only when no key is configured; after them it only opens what it encrypted (a demo
    database put into service), until `personal_data_rekey` has moved those rows to the configured key."""
    derived = base64.urlsafe_b64encode(_derived("data-key")).decode()
    keys = tuple(getattr(settings, "DATA_KEYS", ()) or ())
    return keys + (derived,) if derived not in keys else keys


def lookup_key() -> bytes:
    key = getattr(settings, "LOOKUP_KEY", "")
    return key.encode() if key else _derived("lookup-key")


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(data_keys())


# ---------------------------------------------------------------- values


def encrypt(value: str) -> str:
    """The value encrypted with the newest key (a Fernet token, ASCII); "" stays "" (nothing to hide,
    and "is it empty" stays a plain comparison)."""
    return fernet().encrypt(value.encode()).decode("ascii") if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise PersonalDataKeyError(
            "无法解密个人信息：XINFANG_DATA_KEYS 中没有能解开该数据的密钥（旧密钥须保留到 personal_data_rekey 完成）。"
            " No key in XINFANG_DATA_KEYS opens this value: keep the old key until personal_data_rekey has run."
        ) from None


def lookup_digest(kind: str, value: str) -> str:
    """The blind index of `value` (normalised as `kind` is): HMAC-SHA256 hex, "" for an empty value."""
    value = NORMALISERS[kind](value or "")
    if not value:
        return ""
    return hmac.new(lookup_key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- model fields


class EncryptedTextField(models.TextField):
    """Text kept encrypted in its column (see the module). Read and assigned as plain text; written
    encrypted with the newest key. Not comparable in SQL: only `field=""` / `field__isnull` filters work."""

    description = "Text encrypted at rest (Fernet)"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return decrypt(value) if value else value

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if hasattr(value, "as_sql"):  # an expression (bulk_update's CASE): its values are prepared inside
            return value
        value = self.to_python(value)
        return encrypt(value) if value else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value:
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted at rest and cannot be compared in "
                "SQL: filter on its digest (crypto.lookup_digest)."
            )
        return value


class DigestField(models.CharField):
    """The blind index of another field (`source`), computed from it on every save and bulk_create."""

    def __init__(self, *args: Any, source: str, kind: str, **kwargs: Any) -> None:
        self.source, self.kind = source, kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs |= {"source": self.source, "kind": self.kind}
        for key, default in (("max_length", 64), ("blank", True), ("editable", False), ("default", "")):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def digest_of(self, instance: models.Model) -> str:
        return lookup_digest(self.kind, getattr(instance, self.source) or "")

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.digest_of(model_instance)
        setattr(model_instance, self.attname, value)
        return value


# ---------------------------------------------------------------- key rotation


def encrypted_models() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields, with the names of those fields and of their digests."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, (EncryptedTextField, DigestField))]
        if any(isinstance(model._meta.get_field(n), EncryptedTextField) for n in names):
            found.append((model, names))
    return found


def encrypted_rows_count() -> int:
    return sum(model._default_manager.count() for model, _ in encrypted_models())


def personal_data_rekey(*, batch: int = 1000, progress: Callable[[int], object] | None = None) -> int:
    """Re-encrypt every encrypted value with the newest key of XINFANG_DATA_KEYS and recompute every
    digest with the current XINFANG_LOOKUP_KEY: model by model, `batch` rows per transaction, in key
    order (safe to stop and run again; rows written meanwhile are already under the newest key). A value
    no configured key opens stops it with PersonalDataKeyError. Returns how many rows were rewritten;
    `progress(n)` after each batch."""
    from django.db import connection

    done = 0
    for model, names in encrypted_models():
        fields = [model._meta.get_field(n) for n in names]
        columns = tuple(f.column for f in fields if isinstance(f, EncryptedTextField))
        digests = {
            f.column: (f.kind, model._meta.get_field(f.source).column) for f in fields if isinstance(f, DigestField)
        }
        done += rows_encrypt(
            connection, model._meta.db_table, columns, digests, batch=batch, strict=True, progress=progress
        )
    return done


# ---------------------------------------------------------------- migrations of stored rows


def rows_encrypt(
    connection: Any,
    table: str,
    columns: tuple[str, ...],
    digests: dict[str, tuple[str, str]],
    *,
    reverse: bool = False,
    strict: bool = False,
    batch: int = 2000,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Encrypt `columns` of every row of `table` with the newest key and fill each digest column from its
    (kind, source column), as raw columns (a data migration's historical model would try to decrypt plain
    text), `batch` rows per transaction, the rows locked where the database can. A value is decrypted with
    whichever key opens it; one no key opens is taken as plain text (a migration: running twice changes
    nothing), or with `strict` (the rekey) raises PersonalDataKeyError. `reverse`: back to plain text,
    digests emptied. Returns how many rows were written."""
    qn = connection.ops.quote_name
    targets = columns + tuple(digests)
    update = f"UPDATE {qn(table)} SET {', '.join(f'{qn(c)} = %s' for c in targets)} WHERE id = %s"
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    opened = decrypt if strict else _plain
    last, done = None, 0
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cur:
            where, params = ("WHERE id > %s", [last]) if last is not None else ("", [])
            cur.execute(
                f"SELECT id, {', '.join(qn(c) for c in columns)} FROM {qn(table)} {where} "
                f"ORDER BY id LIMIT {int(batch)}{lock}",
                params,
            )
            rows = cur.fetchall()
            if not rows:
                return done
            out = []
            for pk, *values in rows:
                plain = dict(zip(columns, (opened(v or "") for v in values)))
                if reverse:
                    out.append((*plain.values(), *("" for _ in digests), pk))
                else:
                    out.append(
                        (
                            *(encrypt(v) for v in plain.values()),
                            *(lookup_digest(kind, plain[source]) for kind, source in digests.values()),
                            pk,
                        )
                    )
            cur.executemany(update, out)
        last, done = rows[-1][0], done + len(rows)
        if progress:
            progress(len(rows))


def rows_encrypt_operation(
    app_label: str, model_name: str, columns: tuple[str, ...], digests: dict[str, tuple[str, str]] | None = None
) -> Any:
    """A data migration's operation: `rows_encrypt` on the model's table, reversible."""
    from django.db import migrations

    def run(apps: Any, schema_editor: Any, reverse: bool) -> None:
        table = apps.get_model(app_label, model_name)._meta.db_table
        rows_encrypt(schema_editor.connection, table, columns, digests or {}, reverse=reverse)

    return migrations.RunPython(lambda apps, se: run(apps, se, False), lambda apps, se: run(apps, se, True))


def _plain(value: str) -> str:
    """A stored value as plain text: decrypted if it is a token of the current keys, else as it is."""
    if not value:
        return ""
    try:
        return fernet().decrypt(value.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError, ValueError):
        return value


# ---------------------------------------------------------------- system check


@checks.register(checks.Tags.security, deploy=False)
def keys_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for key in getattr(settings, "DATA_KEYS", ()) or ():
        try:
            Fernet(key)
        except (ValueError, TypeError):
            messages.append(
                checks.Error(
                    "XINFANG_DATA_KEYS holds a value that is not a Fernet key (32 bytes, urlsafe base64).",
                    hint="Make one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="petitions.E010",
                )
            )
    if not settings.DEBUG:
        if not getattr(settings, "DATA_KEYS", None):
            messages.append(
                checks.Warning(
                    "Personal data is encrypted with a key derived from SECRET_KEY: set XINFANG_DATA_KEYS.",
                    hint="See docs/security.md, “What an operator must do”.",
                    id="petitions.W010",
                )
            )
        if not getattr(settings, "LOOKUP_KEY", ""):
            messages.append(
                checks.Warning(
                    "The lookup digests of phone and ID numbers use a key derived from SECRET_KEY: set XINFANG_LOOKUP_KEY.",
                    hint="See docs/security.md, “What an operator must do”.",
                    id="petitions.W011",
                )
            )
    return messages
