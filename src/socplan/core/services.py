from django.http import HttpRequest

from .models import PersonalDataAccess


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind the reverse proxy the address comes from X-Forwarded-For (its first hop is the client).
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def personal_data_read_log(
    *,
    request: HttpRequest | None,
    user,
    person_identifier: str,
    identifier_kind: str = PersonalDataAccess.IdentifierKind.EGN,
    object_type: str,
    object_id: str | int = "",
    channel: str = PersonalDataAccess.Channel.WEB,
    client: str = "",
    purpose: str = "",
) -> PersonalDataAccess:
    """Record that `user` (or the system `client`) read the data of the person `person_identifier`."""
    return PersonalDataAccess.objects.create(
        user=user if (user is not None and user.is_authenticated) else None,
        client=client,
        channel=channel,
        person_identifier=person_identifier,
        identifier_kind=identifier_kind,
        object_type=object_type,
        object_id=str(object_id),
        purpose=purpose[:255],
        ip_address=client_address(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:255],
        path=(request.get_full_path() if request else "")[:500],
    )
