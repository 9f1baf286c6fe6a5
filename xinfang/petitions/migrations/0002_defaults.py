from django.db import migrations


def load_defaults(apps, schema_editor):
    from xinfang.petitions.categories import category_tree_load
    from xinfang.petitions.rules import DEFAULT_PERIODS

    LegalPeriod = apps.get_model("petitions", "LegalPeriod")
    for p in DEFAULT_PERIODS.values():
        LegalPeriod.objects.get_or_create(key=p.key, defaults={
            "days": p.days, "working_days": p.working_days, "roll_over": p.roll_over, "article": p.article})
    category_tree_load(apps.get_model("petitions", "Category"))


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]
    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
