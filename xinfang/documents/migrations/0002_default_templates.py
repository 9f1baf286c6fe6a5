from django.db import migrations


def load_defaults(apps, schema_editor):
    from xinfang.documents.defaults import DEFAULT_TEMPLATES

    NoticeTemplate = apps.get_model("documents", "NoticeTemplate")
    for kind, (title, body) in DEFAULT_TEMPLATES.items():
        if not NoticeTemplate.objects.filter(kind=kind).exists():
            NoticeTemplate.objects.create(kind=kind, title=title, body=body, is_active=True)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
