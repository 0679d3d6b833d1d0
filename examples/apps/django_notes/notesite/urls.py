"""URLs of the example project: the notes list and Django's admin."""

from django.contrib import admin
from django.urls import path

from notes import views

urlpatterns = [
    path("", views.note_list, name="note-list"),
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
]
