"""The full-text index of petitions (xinfang.petitions.search): an FTS5 table on SQLite, a table with a
tsvector and a GIN index on PostgreSQL. Existing petitions are indexed here (about a second for jieba's
dictionary plus ~1.5 ms a petition); `manage.py search_reindex` does it again at any time."""
from django.db import migrations

SQLITE_CREATE = ("CREATE VIRTUAL TABLE petitions_search USING fts5("
                 "body, content='', detail=none, tokenize='ascii')")
POSTGRES_CREATE = [
    "CREATE TABLE petitions_search (petition_id bigint PRIMARY KEY, tsv tsvector NOT NULL)",
    "CREATE INDEX petitions_search_tsv_idx ON petitions_search USING gin (tsv)",
]
DROP = "DROP TABLE IF EXISTS petitions_search"


def create(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        for sql in POSTGRES_CREATE:
            schema_editor.execute(sql)
    else:
        return  # search_filter refuses other databases
    # PostgreSQL: the terms now live in the petition row (0007_petition_search_vector indexes them)
    if vendor == "sqlite" and apps.get_model("petitions", "Petition").objects.using(
            schema_editor.connection.alias).exists():
        from xinfang.petitions.search import search_reindex

        search_reindex()


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("petitions", "0004_attachment_details_petitioner_lookup_indexes"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
