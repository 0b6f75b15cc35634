"""Seed 001's django twin: Django 3.2 + Django REST framework + psycopg2,
served as ASGI by gunicorn with uvicorn workers (serve.py runs it)."""
