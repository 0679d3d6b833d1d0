from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from notes.models import Note


def note_list(request):
    return render(request, "notes/list.html", {"notes": Note.objects.all()[:50]})


def health(request):
    """Answers 200 when the database answers; the deploy's health check asks here."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"notes": Note.objects.count()})
