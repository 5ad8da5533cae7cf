"""Celery workers: score comments with Detoxify, apply the site's policy, tell the site."""
