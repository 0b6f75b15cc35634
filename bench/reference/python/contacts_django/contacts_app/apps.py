from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts_django.contacts_app"
    label = "contacts_app"
