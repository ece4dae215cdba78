"""API of the register: services (list, detail, create, update), occupancy (list, record) and the
gap analysis. The same services and scoping as the pages."""

import datetime

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from socplan.core.api import ErrorSerializer, filter_parameters, filtered, paginate
from socplan.organizations.models import Organization
from socplan.territory.models import Municipality, Region, Settlement

from . import gap, selectors, services
from .models import Occupancy, Service, ServiceType


class ServiceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    service_type = serializers.CharField(source="service_type.code")
    provider = serializers.IntegerField(source="provider_id")
    region = serializers.CharField(source="region.code")
    municipality = serializers.CharField(source="municipality.code")
    settlement = serializers.CharField(source="settlement.ekatte")
    address = serializers.CharField()
    capacity = serializers.IntegerField()
    on_national_map = serializers.BooleanField()
    map_max_users = serializers.IntegerField(allow_null=True)
    financing = serializers.ChoiceField(choices=Service.Financing.choices)
    state_funded_users = serializers.IntegerField(allow_null=True)
    standard_per_place = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    standard_currency = serializers.CharField()
    licence_number = serializers.CharField()
    licence_expires_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Service.Status.choices)
    opened_on = serializers.DateField(allow_null=True)
    closed_on = serializers.DateField(allow_null=True)
    is_published = serializers.BooleanField()
    external_id = serializers.CharField()


class ServiceInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    service_type = serializers.SlugRelatedField(slug_field="code", queryset=ServiceType.objects.all())
    provider = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    settlement = serializers.SlugRelatedField(slug_field="ekatte", queryset=Settlement.objects.all())
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    capacity = serializers.IntegerField(min_value=1)
    on_national_map = serializers.BooleanField(required=False, default=False)
    map_max_users = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)
    financing = serializers.ChoiceField(choices=Service.Financing.choices)
    state_funded_users = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)
    licence_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    licence_issued_on = serializers.DateField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(choices=Service.Status.choices, required=False, default=Service.Status.OPERATING)
    opened_on = serializers.DateField(required=False, allow_null=True, default=None)
    is_published = serializers.BooleanField(required=False, default=True)
    external_id = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class ServiceUpdateSerializer(ServiceInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class ServiceFilter(filters.FilterSet):
    region = filters.CharFilter(field_name="region__code", lookup_expr="iexact")
    municipality = filters.CharFilter(field_name="municipality__code", lookup_expr="iexact")
    service_type = filters.CharFilter(field_name="service_type__code")
    status = filters.ChoiceFilter(choices=Service.Status.choices)

    class Meta:
        model = Service
        fields = ["region", "municipality", "service_type", "status"]


class ServiceListApi(APIView):
    @extend_schema(responses=ServiceOutputSerializer(many=True), parameters=filter_parameters(ServiceFilter), tags=["services"])
    def get(self, request):
        return paginate(
            self, request, lambda: filtered(ServiceFilter, request, selectors.service_list(user=request.user)),
            ServiceOutputSerializer,
        )


class ServiceCreateApi(APIView):
    @extend_schema(
        request=ServiceInputSerializer,
        responses={201: ServiceOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["services"],
    )
    def post(self, request):
        serializer = ServiceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = services.service_create(user=request.user, **serializer.validated_data)
        return Response(ServiceOutputSerializer(service).data, status=status.HTTP_201_CREATED)


class ServiceDetailApi(APIView):
    @extend_schema(responses={200: ServiceOutputSerializer, 404: ErrorSerializer}, tags=["services"])
    def get(self, request, pk: int):
        return Response(ServiceOutputSerializer(selectors.service_get(user=request.user, pk=pk)).data)


class ServiceUpdateApi(APIView):
    @extend_schema(
        request=ServiceUpdateSerializer,
        responses={200: ServiceOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        tags=["services"],
    )
    def patch(self, request, pk: int):
        service = selectors.service_get(user=request.user, pk=pk)
        serializer = ServiceUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        service = services.service_update(user=request.user, service=service, **serializer.validated_data)
        return Response(ServiceOutputSerializer(service).data)


class OccupancySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=Occupancy.Period.choices)
    starts_on = serializers.DateField()
    users = serializers.IntegerField(min_value=0)
    waiting = serializers.IntegerField(min_value=0, required=False, default=0)


class OccupancyApi(APIView):
    @extend_schema(responses={200: OccupancySerializer(many=True), 404: ErrorSerializer}, tags=["services"])
    def get(self, request, pk: int):
        service = selectors.service_get(user=request.user, pk=pk)
        return Response(OccupancySerializer(selectors.occupancy_series(service=service), many=True).data)

    @extend_schema(
        request=OccupancySerializer,
        responses={201: OccupancySerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        tags=["services"],
    )
    def post(self, request, pk: int):
        service = selectors.service_get(user=request.user, pk=pk)
        serializer = OccupancySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        occupancy = services.occupancy_record(user=request.user, service=service, **serializer.validated_data)
        return Response(OccupancySerializer(occupancy).data, status=status.HTTP_201_CREATED)


class GapRowSerializer(serializers.Serializer):
    municipality = serializers.CharField(source="municipality.code", allow_null=True, default=None)
    region = serializers.SerializerMethodField()
    service_type = serializers.CharField(source="service_type.code")
    norm_kind = serializers.CharField(source="standard.kind")
    norm = serializers.DecimalField(source="standard.value", max_digits=8, decimal_places=3)
    unit = serializers.CharField()
    population = serializers.IntegerField(source="population.value", allow_null=True)
    population_is_estimate = serializers.BooleanField(source="population.is_estimate")
    need = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    capacity = serializers.IntegerField()
    planned = serializers.IntegerField()
    gap = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    gap_after_planned = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    per_1000 = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)

    def get_region(self, row) -> str:
        return self.context["regions"].get(row.region_id, "")


class GapApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description="Region code, e.g. VTR"),
            OpenApiParameter("municipality", str, description="Municipality code, e.g. VTR04"),
            OpenApiParameter("service_type", str, description="Service type code"),
            OpenApiParameter("as_of", datetime.date, description="Standards in force on this date"),
        ],
        responses={200: GapRowSerializer(many=True)},
        tags=["services"],
    )
    def get(self, request):
        params = request.query_params
        munis = Municipality.objects.all()
        if params.get("municipality"):
            munis = munis.filter(code=params["municipality"].upper())
        elif params.get("region"):
            munis = munis.filter(region=get_object_or_404(Region, code=params["region"].upper()))
        service_type = None
        if params.get("service_type"):
            service_type = get_object_or_404(ServiceType, code=params["service_type"])
        as_of = None
        if params.get("as_of"):
            try:
                as_of = datetime.date.fromisoformat(params["as_of"])
            except ValueError as exc:
                raise serializers.ValidationError({"as_of": "YYYY-MM-DD"}) from exc
        analysis = gap.gap_analysis(municipalities=munis, service_type=service_type, as_of=as_of)
        regions = dict(Region.objects.values_list("pk", "code"))
        return Response(GapRowSerializer(analysis.rows, many=True, context={"regions": regions}).data)
