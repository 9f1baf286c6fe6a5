from django.core.management.base import BaseCommand, CommandError

from xinfang.api.models import Scope
from xinfang.api.services import ApiClientError, api_client_create
from xinfang.org.models import Unit
from xinfang.org.roles import ROLES_AN_API_CLIENT_MAY_HAVE


class Command(BaseCommand):
    help = (
        "Create an API client (API 客户端) and its service user, and print its token once. "
        "Example: api_client_create --name 12345热线 --unit 示范县信访局 --role clerk "
        "--scope petitions:read --scope petitions:write"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True, help="the client's name, shown in the event log")
        parser.add_argument("--unit", required=True, help="the unit it acts for: its id or exact name")
        parser.add_argument(
            "--role",
            default="clerk",
            choices=[str(r) for r in ROLES_AN_API_CLIENT_MAY_HAVE],
            help="the role of its service user (default clerk)",
        )
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=list(Scope.values),
            required=True,
            help="a scope; repeat for several",
        )

    def handle(self, *args, **options) -> None:
        text = options["unit"]
        units = Unit.objects.filter(pk=int(text)) if text.isdigit() else Unit.objects.filter(name=text)
        if units.count() != 1:
            raise CommandError(f"找不到唯一的单位“{text}”（可用单位编号）。")
        try:
            client, token = api_client_create(
                name=options["name"], unit=units.get(), role=options["role"], scopes=options["scopes"]
            )
        except ApiClientError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            f"已创建 API 客户端“{client.name}”（{client.scopes}）。令牌只显示这一次，请妥善保存："
            f" (Token, shown once:)\n{token}"
        )
