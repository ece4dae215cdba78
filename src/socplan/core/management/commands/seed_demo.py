from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load the demonstration dataset (fictional people and records). Safe to run again."

    def handle(self, *args, **options):
        # Each app may have a demo.py with seed(stdout); they run in INSTALLED_APPS order, so an
        # app's demo can rely on the demo data of the apps it depends on.
        for config in apps.get_app_configs():
            if not config.name.startswith("socplan."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
