from django.urls import path

from . import contractor_views as views

urlpatterns = [
    path("", views.contractor_home, name="contractor_home"),
    path("werk/<str:queue_name>/", views.work_queue, name="work_queue"),
    path("verzoek/<str:reference>/", views.contractor_request, name="contractor_request"),
    path("verzoek/<str:reference>/plannen/", views.plan_visit, name="plan_visit"),
    path("verzoek/<str:reference>/combineren/", views.combine_visit, name="combine_visit"),
    path(
        "verzoek/<str:reference>/spoed-bevestigen/",
        views.confirm_emergency,
        name="confirm_emergency",
    ),
    path("verzoek/<str:reference>/afwijzen/", views.reject_request, name="reject_request"),
    path(
        "verzoek/<str:reference>/fotos/<int:photo_id>/",
        views.contractor_photo,
        name="contractor_photo",
    ),
    path("dag/", views.craftsman_day, name="craftsman_day"),
    path("bezoek/<int:appointment_id>/", views.visit_record, name="visit_record"),
]
