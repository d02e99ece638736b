from django.urls import path

from . import contractor_views as views

urlpatterns = [
    path("", views.contractor_projects, name="contractor_projects"),
    path("<int:project_id>/", views.contractor_project, name="contractor_project"),
]
