from django.core.management.base import BaseCommand

from xinfang.demo.county import DEMO_PASSWORD, demo_county_load, demo_totp_device
from xinfang.org.signin import totp_code


class Command(BaseCommand):
    help = "Print the demo logins (演示账号), and how the administrator and supervisor get their sign-in code."

    def handle(self, *args, **options) -> None:
        self.stdout.write("演示账号 demo logins — 工作台 workbench http://127.0.0.1:8000/")
        self.stdout.write(f"  管理 admin http://127.0.0.1:8000/admin/   密码 password: {DEMO_PASSWORD}")
        for login in demo_county_load():
            device = demo_totp_device(login.username)
            code = f"  两步验证码 code: {totp_code(device)}" if device else ""
            self.stdout.write(f"  {login.username:<16} {login.role:<12} {login.unit}{code}")
        self.stdout.write(
            "  两步验证码每 30 秒更换；随时取当前的码 current code: "
            ".venv/bin/python manage.py demo_totp admin（或 supervisor）"
        )
