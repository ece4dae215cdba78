"""Helpers to write role-matrix cases compactly."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

ROLES = ("anonymous", "admin", "national", "regional", "municipal", "directorate", "provider", "outsider")


def expect(default: int, **per_role: int) -> dict[str, int]:
    unknown = set(per_role) - set(ROLES)
    assert not unknown, unknown
    return {role: per_role.get(role, default) for role in ROLES}


@dataclass
class Case:
    id: str
    url_name: str
    url: Callable[[dict], str]
    expected: dict[str, int]
    method: str = "get"
    data: Any = field(default=None)
    content_type: str | None = None


def case(id: str, url_name: str, expected: dict, *, kwargs: Callable[[dict], dict] | None = None, **options) -> Case:
    def url(objects):
        return reverse(url_name, kwargs=kwargs(objects) if kwargs else None)

    return Case(id=id, url_name=url_name, url=url, expected=expected, **options)
