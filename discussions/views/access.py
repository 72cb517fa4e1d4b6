"""Role checks shared by the views: each view states who may call it, on every request."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

View = Callable[..., HttpResponse]


def organizer_required(view: View) -> View:
    """Staff users only. Anonymous callers are sent to log in; anyone else gets 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied(_("Only organizers can open this page."))
        return view(request, *args, **kwargs)

    return wrapper
