from django.core.management.base import BaseCommand

from xinfang.org.demo import DEMO_PASSWORD, demo_county_load


class Command(BaseCommand):
    help = "Print the demo logins (演示账号)."

    def handle(self, *args, **options) -> None:
        self.stdout.write("演示账号 demo logins — 工作台 workbench http://127.0.0.1:8000/")
        self.stdout.write(f"  管理 admin http://127.0.0.1:8000/admin/   密码 password: {DEMO_PASSWORD}")
        for login in demo_county_load():
            self.stdout.write(f"  {login.username:<16} {login.role:<12} {login.unit}")
