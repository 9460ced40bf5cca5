from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("integrations/webhooks/banner", views.webhook_banner, name="banner"),
]
