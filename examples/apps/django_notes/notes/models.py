from django.db import models


class Note(models.Model):
    """A short text, written in the admin and listed on the front page."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.title
