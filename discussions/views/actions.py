"""One way to take a POSTed action: choose the change the button names, make it, answer.

A change is a function that asks a service for one write; a refused write (ServiceError) is
shown to the person, not raised. The answer is the page's fragment for htmx (422 when
refused) or, without JavaScript, a message and a redirect back. What differs from page to
page (the fragment, where back is, what a refusal for want of the role is) is a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from discussions import services

Change = Callable[[], object]


def chosen(
    actions: Mapping[str, tuple[Change, str]], name: str, *, unknown: str | None = None
) -> tuple[Change, str]:
    """The change the named button makes and what to say once it is made; a name no button
    has (a page older than the code) is refused with `unknown`, or the usual message."""

    def refuse() -> None:
        raise services.ServiceError(unknown or _("That action does not exist; reload the page."))

    return actions.get(name, (refuse, ""))


def attempt(
    change: Change, done: str | Callable[[], str], *, forbidden: str | None = None
) -> tuple[str, str]:
    """Make the change: ("", the notice) once made, (the reason, "") when refused. `done`
    is the notice, or a function that writes it once the change is made.

    With `forbidden`, a refusal for want of the role (services.NotAllowed) is a 403 with
    that message ("" for the refusal's own); without it, it is shown like any other."""
    try:
        change()
    except services.NotAllowed as refusal:
        if forbidden is None:
            return str(refusal), ""
        raise PermissionDenied(forbidden or str(refusal)) from None
    except services.ServiceError as error:
        return str(error), ""
    return "", done() if callable(done) else done


def answer(
    request: HttpRequest,
    error: str,
    notice: str,
    *,
    back,
    fragment: Callable[[], tuple[str, dict]] | None = None,
) -> HttpResponse:
    """htmx gets the `fragment` (its template and context, made when asked for) with the
    error or the notice, 422 if refused; otherwise, or with no fragment, the browser goes
    `back` (a model or a URL) with the message."""
    if fragment is not None and request.htmx:
        template, context = fragment()
        context = context | {"error": error, "notice": notice}
        return render(request, template, context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(back)
