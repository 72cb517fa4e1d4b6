"""Every model has an admin page an organizer can open."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_model_of_the_app_is_in_the_admin():
    models = apps.get_app_config("discussions").get_models()
    assert [m.__name__ for m in models if m not in admin.site._registry] == []


def test_each_admin_list_page_opens(admin_client, published_paper):
    for model in apps.get_app_config("discussions").get_models():
        url = reverse(f"admin:discussions_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
