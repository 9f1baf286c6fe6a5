from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo county, its logins and content, and the synthetic petition generator: the top layer
    (it imports the other apps; none imports it). No models; never shown to users, so not translated."""

    name = "xinfang.demo"
    label = "demo"
    verbose_name = "demo"
