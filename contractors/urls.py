from django.urls import path

from . import views

urlpatterns = [
    path("", views.capacity_overview, name="capacity_overview"),
    path("gebied/<int:area_id>/", views.capacity_area, name="capacity_area"),
    path("dagdeel/<int:slot_id>/", views.slot_edit, name="slot_edit"),
]
