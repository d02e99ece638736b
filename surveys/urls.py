from django.urls import path

from . import views

urlpatterns = [
    path("bedankt/", views.survey_thanks, name="survey_thanks"),
    path("<str:token>/", views.survey_answer_view, name="survey_answer"),
]
