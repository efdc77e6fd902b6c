"""The inspections area's desk URLs, included by ``desk/urls.py``."""

from django.urls import path

from aftersales.desk.views import inspections as views

urlpatterns: list = [
    path("inspections/", views.inspection_board, name="inspection_board"),
    path("inspections/generate/", views.inspection_generate, name="inspection_generate"),
    path("inspections/plans/", views.inspection_plans, name="inspection_plans"),
    path("inspections/plans/new/", views.inspection_plan_edit, name="inspection_plan_new"),
    path("inspections/plans/<int:plan_id>/", views.inspection_plan_edit, name="inspection_plan"),
    path("inspections/templates/", views.inspection_templates, name="inspection_templates"),
    path("inspections/templates/new/", views.inspection_template_edit, name="inspection_template_new"),
    path(
        "inspections/templates/<int:template_id>/", views.inspection_template_edit, name="inspection_template"
    ),
    path(
        "inspections/visits/<str:visit_number>/checklist/",
        views.inspection_checklist,
        name="inspection_checklist",
    ),
    path(
        "inspections/visits/<str:visit_number>/results/<int:result_id>/ticket/",
        views.inspection_result_ticket,
        name="inspection_result_ticket",
    ),
    path(
        "inspections/visits/<str:visit_number>/results/<int:result_id>/photo/",
        views.inspection_photo,
        name="inspection_photo",
    ),
    path(
        "inspections/visits/<str:visit_number>/report.pdf", views.inspection_report, name="inspection_report"
    ),
]
