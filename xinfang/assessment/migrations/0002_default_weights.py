"""The default indicator weights (cited to the seeds, see indicators.INDICATORS) and the settings row."""
from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    from xinfang.assessment.indicators import INDICATORS

    IndicatorWeight = apps.get_model("assessment", "IndicatorWeight")
    AssessmentSettings = apps.get_model("assessment", "AssessmentSettings")
    for i in INDICATORS:
        IndicatorWeight.objects.get_or_create(key=i.key, defaults={
            "weight": Decimal(i.weight), "target": Decimal(i.target), "floor": Decimal(i.floor),
            "direction": str(i.direction), "claim_mix": i.claim_mix, "source": i.source})
    AssessmentSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
