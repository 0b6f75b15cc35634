from django.urls import path

from contacts_django.contacts_app import views

urlpatterns = [
    path("version", views.VersionView.as_view()),
    path("types", views.TypesView.as_view()),
    path("contacts/", views.ContactsView.as_view()),
    path("contacts/<int:contact_id>", views.ContactView.as_view()),
    path("digest/", views.DigestView.as_view()),
]
