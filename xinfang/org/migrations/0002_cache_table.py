"""The table of the database cache (settings CACHES["limits"] without Redis: the shared rate limits), made
with the migrations so that no one has to run createcachetable by hand; a no-op when it exists."""
from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(cache_table_create, migrations.RunPython.noop, elidable=False)]
