from django.urls import path

from . import views

urlpatterns = [
    path("", views.contractor_kpis, name="contractor_kpis"),
    path("scorecard/", views.contractor_scorecards, name="contractor_scorecards"),
    path(
        "scorecard/<int:contract_id>/",
        views.contractor_scorecard,
        name="contractor_scorecard",
    ),
]
