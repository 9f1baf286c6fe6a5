from django.core.management.base import BaseCommand, CommandError

from xinfang.demo.county import demo_totp_device
from xinfang.org.signin import totp_code


class Command(BaseCommand):
    help = (
        "Print the current two-step sign-in code (动态验证码) of a demo user (admin, supervisor): "
        "the demo's stand-in for the authenticator app. Refuses every user without the demo device."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, **options) -> None:
        device = demo_totp_device(options["username"])
        if device is None:
            raise CommandError(f"{options['username']} 没有演示身份验证器（只有 load_demo 建立的演示账号有）。")
        self.stdout.write(totp_code(device))
