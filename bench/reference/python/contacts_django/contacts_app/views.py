"""DRF views and serializers: select_related for the type and
prefetch_related for phones and emails, three queries per page."""
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts_common import digest
from contacts_django.contacts_app.models import Contact, ContactType

PAGE_SIZE = 20
MAX_PAGE = 10**15


class PhoneSerializer(serializers.Serializer):
    kind = serializers.CharField()
    number = serializers.CharField()


class ContactSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="type.name")
    phones = PhoneSerializer(many=True)
    emails = serializers.SlugRelatedField(many=True, read_only=True, slug_field="address")

    class Meta:
        model = Contact
        fields = ["id", "first_name", "last_name", "type", "created_at", "phones", "emails"]


class ContactTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactType
        fields = ["id", "name"]


class PageQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=100, default=PAGE_SIZE)
    last_name = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


def contacts_query():
    return Contact.objects.select_related("type").prefetch_related("phones", "emails").order_by("id")


class VersionView(APIView):
    def get(self, request):
        return Response({"name": "contacts", "version": "1.0"})


class TypesView(APIView):
    def get(self, request):
        return Response(ContactTypeSerializer(ContactType.objects.order_by("id"), many=True).data)


class ContactsView(APIView):
    def get(self, request):
        q = PageQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        page, size = q.validated_data["page"], q.validated_data["page_size"]
        contacts = contacts_query()
        if "last_name" in q.validated_data:
            contacts = contacts.filter(last_name=q.validated_data["last_name"])
        rows = contacts[(page - 1) * size : page * size]
        return Response({"page": page, "page_size": size, "results": ContactSerializer(rows, many=True).data})


class ContactView(APIView):
    def get(self, request, contact_id):
        contact = contacts_query().filter(id=contact_id).first()
        if contact is None:
            return Response({"detail": "Contact not found"}, status=404)
        return Response(ContactSerializer(contact).data)


class DigestQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    rounds = serializers.IntegerField(min_value=1, max_value=100000, default=100)


class DigestView(APIView):
    def get(self, request):
        q = DigestQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        page, rounds = q.validated_data["page"], q.validated_data["rounds"]
        rows = contacts_query()[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return Response({"page": page, "rounds": rounds, "digest": digest(ContactSerializer(rows, many=True).data, rounds)})
