from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "xinfang.assessment"
    label = "assessment"
    verbose_name = _("Assessment and statistics")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from xinfang.assessment.aggregates import rescore_on_change
        from xinfang.assessment.models import AssessmentSettings, IndicatorWeight, QualitativeScore

        for model in (IndicatorWeight, AssessmentSettings, QualitativeScore):
            post_save.connect(rescore_on_change, sender=model, dispatch_uid=f"assessment-rescore-{model.__name__}")
            post_delete.connect(rescore_on_change, sender=model, dispatch_uid=f"assessment-rescore-{model.__name__}-d")
