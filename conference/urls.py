from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from discussions.views import public

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("", include("discussions.urls_participant")),
    path("organizer/", include("discussions.urls_organizer")),
    path("facilitate/", include("discussions.urls_facilitator")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/landing/", public.after_login, name="after_login"),
    # A facilitator invited without an account sets their password here, once.
    path(
        "accounts/invite/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/invite.html",
            post_reset_login=True,
            success_url=reverse_lazy("after_login"),
        ),
        name="invite",
    ),
    path("admin/", admin.site.urls),
]
