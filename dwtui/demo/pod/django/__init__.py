"""A stub of Django for the stand-in's pods: only `django.conf.settings` exists."""

VERSION = (5, 0, 0, "final", 0)
