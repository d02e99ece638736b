from django.urls import path

from . import views

urlpatterns = [
    path("melden/", views.report_start, name="report_start"),
    path("melden/<int:category_id>/", views.report_category, name="report_category"),
    path(
        "melden/iets-anders/<str:room>/",
        views.report_something_else,
        name="report_something_else",
    ),
    path("melden/klaar/<str:reference>/", views.report_done, name="report_done"),
    path("mijn-reparaties/", views.my_repairs, name="my_repairs"),
    path("mijn-reparaties/<str:reference>/", views.repair_detail, name="repair_detail"),
    path(
        "mijn-reparaties/<str:reference>/verzetten/",
        views.repair_reschedule,
        name="repair_reschedule",
    ),
    path("mijn-reparaties/<str:reference>/annuleren/", views.repair_cancel, name="repair_cancel"),
    path(
        "mijn-reparaties/<str:reference>/fotos/<int:photo_id>/",
        views.repair_photo,
        name="repair_photo",
    ),
    path("mijn-reparaties/<str:reference>/afspraak.ics", views.repair_ics, name="repair_ics"),
]
