"""Pages made of panels that several apps contribute.

A page (a "slot": the home page, a municipality's page, a region's page) asks every provider
registered for it for panels. Providers are registered at start-up by the apps that own the data,
so a foundational app's page shows what later apps add without importing them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest


@dataclass
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    # "todo" panels (what is mine to do, deadlines) come first and are emphasised.
    kind: str = "info"


Provider = Callable[..., list[Panel]]
_providers: dict[str, list[Provider]] = {}


def register_panels(slot: str, provider: Provider) -> None:
    providers = _providers.setdefault(slot, [])
    if provider not in providers:
        providers.append(provider)


def panels_for(slot: str, request: HttpRequest, **kwargs) -> list[Panel]:
    panels: list[Panel] = []
    for provider in _providers.get(slot, []):
        panels.extend(provider(request, **kwargs))
    return sorted(panels, key=lambda p: (p.kind != "todo", p.order))
