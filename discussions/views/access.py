"""Role checks shared by the views: each view states who may call it, on every request."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from discussions import identity
from discussions.models import Session

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


def login_first(view: View) -> View:
    """Anonymous callers log in first; the views themselves check the role.

    A browser that joined as a participant gets a plain 403 instead: the console is not
    for them, and a login form would only invite them to guess a password.
    """

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if identity.joined(request.COOKIES):
                raise PermissionDenied(_("Participants cannot open the facilitator console."))
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def facilitated_session(request: HttpRequest, session_id: int) -> Session:
    """The session, which the caller must facilitate: 403 otherwise (404: no such session)."""
    session = get_object_or_404(Session.objects.select_related("paper"), pk=session_id)
    if not session.facilitated_by(request.user):
        raise PermissionDenied(_("You do not facilitate this session."))
    return session
