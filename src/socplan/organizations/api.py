from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from socplan.core.api import ErrorSerializer, filter_parameters, filtered, paginate
from socplan.core.scoping import scope_for
from socplan.territory.models import Municipality, Region

from . import selectors, services
from .models import Appointment, Body, Membership, Organization, RoleAssignment


class OrganizationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Organization.Kind.choices)
    name = serializers.CharField()
    short_name = serializers.CharField()
    region = serializers.CharField(source="region.code", allow_null=True, default=None)
    municipality = serializers.CharField(source="municipality.code", allow_null=True, default=None)
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    eik = serializers.CharField()
    address = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    website = serializers.CharField()
    is_active = serializers.BooleanField()


class OrganizationInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Organization.Kind.choices)
    name = serializers.CharField(max_length=255)
    short_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True, default=None)
    municipality = serializers.SlugRelatedField(
        slug_field="code", queryset=Municipality.objects.all(), required=False, allow_null=True, default=None
    )
    eik = serializers.CharField(max_length=13, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    website = serializers.URLField(required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class OrganizationUpdateSerializer(OrganizationInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class OrganizationFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Organization.Kind.choices)
    region = filters.CharFilter(field_name="region__code", lookup_expr="iexact")
    municipality = filters.CharFilter(field_name="municipality__code", lookup_expr="iexact")
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")
    is_active = filters.BooleanFilter()

    class Meta:
        model = Organization
        fields = ["kind", "region", "municipality", "q", "is_active"]


class OrganizationListApi(APIView):
    @extend_schema(responses=OrganizationOutputSerializer(many=True), parameters=filter_parameters(OrganizationFilter), tags=["organizations"])
    def get(self, request):
        # Filtering (and its validation) runs only when the page is not cached yet.
        return paginate(
            self,
            request,
            lambda: filtered(OrganizationFilter, request, selectors.organization_list(user=request.user)),
            OrganizationOutputSerializer,
        )


class OrganizationCreateApi(APIView):
    @extend_schema(
        request=OrganizationInputSerializer,
        responses={201: OrganizationOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["organizations"],
    )
    def post(self, request):
        serializer = OrganizationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_create(user=request.user, **serializer.validated_data)
        return Response(OrganizationOutputSerializer(organization).data, status=status.HTTP_201_CREATED)


class OrganizationDetailApi(APIView):
    @extend_schema(responses={200: OrganizationOutputSerializer, 404: ErrorSerializer}, tags=["organizations"])
    def get(self, request, pk: int):
        return Response(OrganizationOutputSerializer(selectors.organization_get(user=request.user, pk=pk)).data)


class OrganizationUpdateApi(APIView):
    @extend_schema(
        request=OrganizationUpdateSerializer,
        responses={200: OrganizationOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        tags=["organizations"],
    )
    def patch(self, request, pk: int):
        organization = selectors.organization_get(user=request.user, pk=pk)
        serializer = OrganizationUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_update(user=request.user, organization=organization, **serializer.validated_data)
        return Response(OrganizationOutputSerializer(organization).data)


class MembershipOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person_name = serializers.CharField()
    position = serializers.CharField()
    organization = serializers.IntegerField(source="organization_id", allow_null=True)
    composition = serializers.ChoiceField(choices=Membership.Composition.choices)
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    appointment = serializers.IntegerField(source="appointment_id", allow_null=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)


class AppointmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    date = serializers.DateField()
    issued_by = serializers.CharField()
    subject = serializers.CharField()


class BodyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Body.Kind.choices)
    name = serializers.CharField()
    organization = serializers.IntegerField(source="organization_id")
    has_extended_composition = serializers.BooleanField()
    description = serializers.CharField()
    is_active = serializers.BooleanField()


class BodyDetailOutputSerializer(BodyOutputSerializer):
    members = MembershipOutputSerializer(source="memberships.all", many=True)
    orders = AppointmentOutputSerializer(source="appointments.all", many=True)


class BodyListApi(APIView):
    @extend_schema(responses=BodyOutputSerializer(many=True), tags=["organizations"])
    def get(self, request):
        return paginate(self, request, lambda: selectors.body_list(user=request.user), BodyOutputSerializer)


class BodyDetailApi(APIView):
    @extend_schema(responses={200: BodyDetailOutputSerializer, 404: ErrorSerializer}, tags=["organizations"])
    def get(self, request, pk: int):
        return Response(BodyDetailOutputSerializer(selectors.body_get(user=request.user, pk=pk)).data)


class AppointmentInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    date = serializers.DateField(input_formats=["%d.%m.%Y", "iso-8601"])
    issued_by = serializers.CharField(max_length=255)
    subject = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AppointmentCreateApi(APIView):
    @extend_schema(
        request=AppointmentInputSerializer,
        responses={201: AppointmentOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["organizations"],
    )
    def post(self, request, pk: int):
        body = selectors.body_get(user=request.user, pk=pk)
        serializer = AppointmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = services.appointment_create(user=request.user, body=body, **serializer.validated_data)
        return Response(AppointmentOutputSerializer(appointment).data, status=status.HTTP_201_CREATED)


class MembershipInputSerializer(serializers.Serializer):
    person_name = serializers.CharField(max_length=200)
    position = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), required=False, allow_null=True, default=None)
    composition = serializers.ChoiceField(choices=Membership.Composition.choices, default=Membership.Composition.CORE)
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    appointment = serializers.PrimaryKeyRelatedField(queryset=Appointment.objects.all(), required=False, allow_null=True, default=None)
    start_date = serializers.DateField(input_formats=["%d.%m.%Y", "iso-8601"])
    end_date = serializers.DateField(input_formats=["%d.%m.%Y", "iso-8601"], required=False, allow_null=True, default=None)


class MembershipCreateApi(APIView):
    @extend_schema(
        request=MembershipInputSerializer,
        responses={201: MembershipOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["organizations"],
    )
    def post(self, request, pk: int):
        body = selectors.body_get(user=request.user, pk=pk)
        serializer = MembershipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_add(user=request.user, body=body, **serializer.validated_data)
        return Response(MembershipOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class RoleOutputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=RoleAssignment.Role.choices)
    organization = OrganizationOutputSerializer()
    region = serializers.CharField(source="region.code", allow_null=True, default=None)
    municipality = serializers.CharField(source="municipality.code", allow_null=True, default=None)


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField(source="get_full_name")
    email = serializers.CharField()
    is_administrator = serializers.BooleanField()
    roles = RoleOutputSerializer(many=True)


class MeApi(APIView):
    @extend_schema(responses=MeOutputSerializer, tags=["accounts"])
    def get(self, request):
        user = request.user
        data = {
            "username": user.get_username(),
            "get_full_name": user.get_full_name(),
            "email": user.email,
            "is_administrator": scope_for(user).is_administrator,
            "roles": list(selectors.role_assignments_of(user=user)),
        }
        return Response(MeOutputSerializer(data).data)
