from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from django.views.i18n import set_language

from discussions.views import login, public

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path(
        "jsi18n/<str:language>/<str:version>.js",
        public.javascript_catalog,
        name="javascript_catalog",
    ),
    path("", include("discussions.urls_participant")),
    path("organizer/", include("discussions.urls_organizer")),
    path("facilitate/", include("discussions.urls_facilitator")),
    path("accounts/login/", login.login, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/landing/", public.after_login, name="after_login"),
    # A facilitator invited without an account sets their password here, once.
    path(
        "accounts/invite/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/invite.html",
            post_reset_login=True,
            # Two backends since django-axes: Django must be told which one logs them in.
            post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
            success_url=reverse_lazy("after_login"),
        ),
        name="invite",
    ),
    # Before the admin's own URLs: its login page, with the app's limit on wrong passwords.
    path("admin/login/", login.admin_login),
    path("admin/", admin.site.urls),
]
