"""What an e-delivery message is about: its Route (the service or request, and the team for it).

Rules, in order:

1. The form's service code. The electronic forms of the egov.bg portal name the administrative
   service they request (`form_data["service"]`, or "service_code"). A route whose code, or one of
   whose keyword lines, equals that value (letter case aside) is the message's route.
2. Words. Each route lists words or phrases, one per line (a word's stem finds all its forms:
   "отопл" finds "отопление" and "отоплителен"). A keyword matches where it starts a word of the
   subject or of the form's text fields. The route whose matching keywords are the longest in total
   wins (a specific phrase outweighs a common word); a tie goes to the route listed first.
3. Otherwise the catch-all route ("drugo", Друго), or None when there is none.
"""

from __future__ import annotations

import re

from ..models import Route

FALLBACK_CODE = "drugo"
SERVICE_KEYS = ("service", "service_code", "serviceCode")
# Form fields that identify a person or a place: never evidence of what the message is about.
NOT_TEXT = frozenset({
    "person", "directorate", "municipality", "egn", "lnch", "identifier", "person_identifier", "email",
    "phone", "address", "iban", "first_name", "middle_name", "last_name", "name",
})


def _keywords(route: Route) -> list[str]:
    return [k.strip().lower() for k in (route.keywords or "").splitlines() if k.strip()]


def _text_values(value, key: str = "") -> list[str]:
    if key in NOT_TEXT:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _text_values(v, str(k))]
    if isinstance(value, list):
        return [t for v in value for t in _text_values(v)]
    return []


def service_code(form_data: dict) -> str:
    for key in SERVICE_KEYS:
        value = form_data.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip().lower()
    return ""


def keyword_score(keywords: list[str], text: str) -> int:
    score = 0
    for keyword in keywords:
        if re.search(r"(?<!\w)" + re.escape(keyword), text):
            score += len(keyword)
    return score


def route_for(*, subject: str, form_data: dict | None) -> Route | None:
    """The route of a message with this subject and form data (the rules of the module)."""
    form_data = form_data or {}
    routes = list(Route.objects.select_related("document_type").order_by("order", "code"))
    code = service_code(form_data)
    if code:
        for route in routes:
            if code == route.code.lower() or code in _keywords(route):
                return route
    text = " ".join([subject or "", *_text_values(form_data)]).lower()
    best, best_score = None, 0
    for route in routes:
        score = keyword_score(_keywords(route), text)
        if score > best_score:
            best, best_score = route, score
    if best is not None:
        return best
    return next((r for r in routes if r.code == FALLBACK_CODE), None)
