"""PostgreSQL: the search terms of each petition move from the table petitions_search into a tsvector
column of the petition row (Petition.search_vector) with its own GIN index, which PostgreSQL ANDs with
the queue's index (petition_unit_state_idx): a search of a unit's queue then reads only the petitions
that pass both, not a ~1 kB search row for every match. The terms are copied over, not recomputed; a
petition the old table did not hold (a database migrated from before 0005, which left it empty on
PostgreSQL) is indexed here. SQLite: only the column, always NULL; its FTS5 table stays as it is.

Every petition row is rewritten (1,000,000 petitions: about 3 minutes, the table's old row versions
left to VACUUM): run `VACUUM ANALYZE petitions_petition` afterwards on a big database."""
from django.db import migrations

import xinfang.petitions.search_field

FORWARD = [
    "UPDATE petitions_petition AS p SET search_vector = s.tsv FROM petitions_search AS s "
    "WHERE s.petition_id = p.id",
    "DROP TABLE petitions_search",  # and its GIN index, petitions_search_tsv_idx
    "SET LOCAL maintenance_work_mem = '512MB'",
    "CREATE INDEX petition_search_vector_idx ON petitions_petition USING gin (search_vector)",
    "ANALYZE petitions_petition",  # the statistics of the terms, for the planner's estimates
]
BACKWARD = [
    "CREATE TABLE petitions_search (petition_id bigint PRIMARY KEY, tsv tsvector NOT NULL)",
    "INSERT INTO petitions_search (petition_id, tsv) "
    "SELECT id, search_vector FROM petitions_petition WHERE search_vector IS NOT NULL",
    "CREATE INDEX petitions_search_tsv_idx ON petitions_search USING gin (tsv)",
    "DROP INDEX petition_search_vector_idx",
]


def forward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in FORWARD:
        schema_editor.execute(sql)
    petitions = apps.get_model("petitions", "Petition").objects.using(schema_editor.connection.alias)
    if petitions.filter(search_vector__isnull=True).exists():
        from xinfang.petitions.search import search_reindex

        search_reindex()


def backward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("petitions", "0006_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="petition",
            name="search_vector",
            field=xinfang.petitions.search_field.SearchTermsField(editable=False, null=True),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
