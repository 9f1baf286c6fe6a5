"""The login backend: Django's ModelBackend, loading the user's unit and region with the user."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from xinfang.org.models import User

# Enough of the region tree for a village unit to reach its county (org.selectors.home_region).
USER_RELATED = ("unit__region__parent__parent",)


class UnitBackend(ModelBackend):
    def get_user(self, user_id: int) -> User | None:
        user = User._default_manager.select_related(*USER_RELATED).filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
