from django.urls import path

from . import views

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("<int:project_id>/", views.project_page, name="project_page"),
    path("<int:project_id>/vraag/", views.project_respond, name="project_respond"),
    path("<int:project_id>/verzetten/", views.project_visit_move, name="project_visit_move"),
    path("<int:project_id>/annuleren/", views.project_visit_cancel, name="project_visit_cancel"),
]
