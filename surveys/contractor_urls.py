from django.urls import path

from . import views

urlpatterns = [path("", views.contractor_kpis, name="contractor_kpis")]
