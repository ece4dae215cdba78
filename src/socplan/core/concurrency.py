"""Optimistic locking: an edit carries the revision it started from, and one based on an older
revision is refused instead of silently overwriting a colleague's change."""

from django.utils.translation import gettext as _

from .exceptions import ApplicationError


def check_revision(*, current: int, expected: int | None, what: str = "") -> None:
    if expected is not None and int(expected) != current:
        raise ApplicationError(
            _(
                "Someone else has changed %(what)s since you opened it. Your change was not saved: "
                "reload to see their version, then make your change again."
            )
            % {"what": what or _("this plan")}
        )
