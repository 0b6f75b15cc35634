"""The tables `strata db load` creates; Django reads them, never migrates."""
from django.db import models


class ContactType(models.Model):
    name = models.TextField()

    class Meta:
        managed = False
        db_table = "contact_types"


class Contact(models.Model):
    first_name = models.TextField()
    last_name = models.TextField()
    type = models.ForeignKey(ContactType, on_delete=models.DO_NOTHING)
    created_at = models.TextField()

    class Meta:
        managed = False
        db_table = "contacts"


class Phone(models.Model):
    contact = models.ForeignKey(Contact, related_name="phones", on_delete=models.DO_NOTHING)
    kind = models.TextField()
    number = models.TextField()

    class Meta:
        managed = False
        db_table = "phones"
        ordering = ["id"]


class Email(models.Model):
    contact = models.ForeignKey(Contact, related_name="emails", on_delete=models.DO_NOTHING)
    address = models.TextField()

    class Meta:
        managed = False
        db_table = "emails"
        ordering = ["id"]
