from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches

from .cache import data_version


class CachedModelBackend(ModelBackend):
    """The model backend, with the signed-in user read from the page cache.

    Keyed on the data version, which every change of a user (but a sign-in) bumps, so a changed
    password, a deactivated account or a new role takes effect at the next request.
    """

    def get_user(self, user_id):
        key = f"socplan:user:{user_id}:{data_version()}"
        user = caches["pages"].get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                caches["pages"].set(key, user, 3600)
        return user
