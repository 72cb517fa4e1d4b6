"""Logging in, on the app's page and the admin's: two limits, both met before a password is
hashed.

A password hash takes a request thread a fifth of a second on purpose, and a process has
only HTTP_THREADS of them: a few loops of wrong logins from one address held every thread,
and every participant's request waited behind them, besides guessing passwords
(tests/test_login_limits.py).

- Per username and network, django-axes (settings.AXES_*): 10 wrong passwords for a
  username from one network lock that username out from there for 15 minutes. Its
  backend refuses a locked-out login before ModelBackend hashes anything, and the page
  says how long to wait (locked_out). The same username logs in from anywhere else.
- Per network, whatever the usernames (ratelimit.WRONG_LOGIN): past its wrong passwords
  this minute, a login from there is refused before it reaches a backend, so ever-new
  usernames cannot keep the threads hashing.
"""

from __future__ import annotations

import functools
import math

from axes.helpers import get_client_username, get_cool_off
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from discussions import ratelimit


def limit_wrong_logins(login_view):
    """The login view, refusing logins from a network past its wrong passwords."""

    @functools.wraps(login_view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refusal = ratelimit.login_refused(request) if request.method == "POST" else None
        if refusal is None:
            return login_view(request, *args, **kwargs)
        seconds = ratelimit.retry_after(ratelimit.WRONG_LOGIN)
        message = ngettext(
            # Translators: %(reason)s is the refusal's sentence (many wrong passwords came
            # from this network).
            "%(reason)s Wait %(seconds)s second, then log in again.",
            "%(reason)s Wait %(seconds)s seconds, then log in again.",
            seconds,
        ) % {"reason": refusal, "seconds": seconds}
        return _wait_page(request, message, seconds)

    return limited


login = limit_wrong_logins(auth_views.LoginView.as_view())
# The admin's own login page: conference.urls routes its path here before the admin's URLs.
admin_login = limit_wrong_logins(admin.site.login)


@receiver(user_login_failed, dispatch_uid="discussions.count_wrong_login")
def count_wrong_login(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    # Every wrong password, and every try of a locked-out username (axes refuses those
    # through the same signal): both keep a network's threads busy.
    if request is not None:
        ratelimit.count_wrong_login(request)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """django-axes' answer to a login it refused (settings.AXES_LOCKOUT_CALLABLE)."""
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    username = get_client_username(request, credentials)
    if username:
        message = ngettext(
            "Too many wrong passwords for %(username)s from this network: logging in as "
            "%(username)s from here is paused. Wait %(minutes)s minute, then try again (each "
            "try before then starts the wait again).",
            "Too many wrong passwords for %(username)s from this network: logging in as "
            "%(username)s from here is paused. Wait %(minutes)s minutes, then try again (each "
            "try before then starts the wait again).",
            minutes,
        ) % {"username": username, "minutes": minutes}
    else:
        message = ngettext(
            "Too many wrong passwords for this username from this network: logging in as "
            "this username from here is paused. Wait %(minutes)s minute, then try again (each "
            "try before then starts the wait again).",
            "Too many wrong passwords for this username from this network: logging in as "
            "this username from here is paused. Wait %(minutes)s minutes, then try again (each "
            "try before then starts the wait again).",
            minutes,
        ) % {"minutes": minutes}
    return _wait_page(request, message, minutes * 60)


def _wait_page(request: HttpRequest, message: str, seconds: int) -> HttpResponse:
    context = {"message": message, "login_path": request.get_full_path()}
    response = render(request, "registration/wait.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
