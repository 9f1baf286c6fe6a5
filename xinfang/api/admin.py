"""API clients in the admin: scopes and the active flag are edited here; a client is created with
`manage.py api_client_create` (which prints its token once), and the action below issues a new
token, shown once."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinfang.api.models import ApiClient, Scope
from xinfang.api.services import api_client_token_rotate


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = ("name", "scopes", "personal_per_hour", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["scopes"] = sorted(self.instance.scope_set)

    def clean_scopes(self) -> str:
        return " ".join(sorted(self.cleaned_data["scopes"]))


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ("name", "unit", "role", "scopes", "personal_per_hour", "token_prefix", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "user__unit__name")
    list_select_related = ("user__unit",)
    readonly_fields = ("user", "token_prefix", "created_at")
    actions = ["token_issue"]

    @admin.display(description=gettext_lazy("unit"))
    def unit(self, obj: ApiClient) -> str:
        return str(obj.user.unit or "")

    @admin.display(description=gettext_lazy("role"))
    def role(self, obj: ApiClient) -> str:
        return obj.user.get_role_display()

    def has_add_permission(self, request) -> bool:
        return False  # manage.py api_client_create: it creates the service user and shows the token once

    @admin.action(description=gettext_lazy("Issue a new token (the old one stops working)"))
    def token_issue(self, request, queryset) -> None:
        for client in queryset:
            token = api_client_token_rotate(client)
            messages.warning(
                request,
                _("New token for %(name)s, shown only this once: %(token)s") % {"name": client.name, "token": token},
            )
