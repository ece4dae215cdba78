from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from socplan.core.api import paginate

from . import selectors
from .models import Settlement


class RegionOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_bg = serializers.CharField()
    name_en = serializers.CharField()
    nuts1 = serializers.CharField()
    nuts2 = serializers.CharField()
    nuts3 = serializers.CharField()
    center_ekatte = serializers.CharField()
    municipality_count = serializers.IntegerField()
    population = serializers.IntegerField(allow_null=True)


class MunicipalityOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_bg = serializers.CharField()
    name_en = serializers.CharField()
    region = serializers.CharField(source="region.code")
    nuts3 = serializers.CharField()
    center_ekatte = serializers.CharField()
    population = serializers.IntegerField(allow_null=True)
    settlement_count = serializers.IntegerField(allow_null=True)


class SettlementOutputSerializer(serializers.Serializer):
    ekatte = serializers.CharField()
    kind = serializers.ChoiceField(choices=Settlement.Kind.choices)
    name_bg = serializers.CharField()
    name_en = serializers.CharField()
    municipality = serializers.CharField(source="municipality.code")
    mayoralty = serializers.CharField(source="mayoralty.code", allow_null=True, default=None)


_Q = OpenApiParameter("q", OpenApiTypes.STR, description="Part of the name, in Cyrillic or Latin")
_PAGE = [OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("page_size", OpenApiTypes.INT)]


class RegionListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=RegionOutputSerializer(many=True), parameters=_PAGE, tags=["territory"])
    def get(self, request):
        return paginate(self, request, lambda: selectors.region_list(user=request.user), RegionOutputSerializer, scoped=False)


class RegionDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=RegionOutputSerializer, tags=["territory"])
    def get(self, request, code: str):
        region = get_object_or_404(selectors.region_list(user=request.user), code=code.upper())
        return Response(RegionOutputSerializer(region).data)


class MunicipalityListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=MunicipalityOutputSerializer(many=True),
        parameters=[OpenApiParameter("region", OpenApiTypes.STR, description="Region code, e.g. VTR"), _Q, *_PAGE],
        tags=["territory"],
    )
    def get(self, request):
        code, query = request.query_params.get("region", ""), request.query_params.get("q", "")

        def municipalities():
            region = selectors.region_get(user=request.user, code=code) if code else None
            return selectors.municipality_list(user=request.user, region=region, query=query)

        # Public statistics: one cache entry for everyone.
        return paginate(self, request, municipalities, MunicipalityOutputSerializer, scoped=False)


class MunicipalityDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=MunicipalityOutputSerializer, tags=["territory"])
    def get(self, request, code: str):
        municipality = get_object_or_404(selectors.municipality_list(user=request.user), code=code.upper())
        return Response(MunicipalityOutputSerializer(municipality).data)


class SettlementListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=SettlementOutputSerializer(many=True),
        parameters=[
            OpenApiParameter("municipality", OpenApiTypes.STR, description="Municipality code, e.g. VTR04"),
            _Q,
            *_PAGE,
        ],
        tags=["territory"],
    )
    def get(self, request):
        municipality = None
        if request.query_params.get("municipality"):
            municipality = selectors.municipality_get(user=request.user, code=request.query_params["municipality"])
        query = request.query_params.get("q", "")
        return paginate(
            self,
            request,
            lambda: selectors.settlement_list(user=request.user, municipality=municipality, query=query),
            SettlementOutputSerializer,
        )
