"""Read-only API of plans: the list and one plan's version with its tree (for other systems and
the monitoring reports). Plans are changed through the pages, which show previews and conflicts."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from socplan.core.api import ErrorSerializer, filter_parameters, filtered, paginate

from . import selectors
from .models import FinancingLine, Level, Plan, PlanVersion


class PlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Plan.Kind.choices)
    title = serializers.CharField()
    region = serializers.CharField(source="region.code", allow_null=True, default=None)
    municipality = serializers.CharField(source="municipality.code", allow_null=True, default=None)
    owner = serializers.IntegerField(source="owner_id")
    period_start = serializers.IntegerField()
    period_end = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Plan.Status.choices)
    implements = serializers.IntegerField(source="implements_id", allow_null=True)
    version_in_force = serializers.IntegerField(source="current_version.number", allow_null=True, default=None)


class FinancingOutputSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=FinancingLine.Source.choices)
    programme = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)


class NodeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.UUIDField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    level = serializers.ChoiceField(choices=Level.choices)
    number = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    expected_results = serializers.CharField()
    target_groups = serializers.SerializerMethodField()
    lead = serializers.SerializerMethodField()
    partners = serializers.SerializerMethodField()
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField(allow_null=True)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    budget_currency = serializers.CharField()
    financing = FinancingOutputSerializer(many=True)

    def get_target_groups(self, node) -> list[str]:
        return [group.code for group in node.target_groups.all()]

    def get_lead(self, node) -> list[int]:
        return [r.organization_id for r in node.responsibilities.all() if r.role == "lead"]

    def get_partners(self, node) -> list[int]:
        return [r.organization_id for r in node.responsibilities.all() if r.role == "partner"]


class AdoptionOutputSerializer(serializers.Serializer):
    body = serializers.IntegerField(source="body_id")
    decision_number = serializers.CharField()
    protocol_number = serializers.CharField()
    adopted_on = serializers.DateField()


class VersionOutputSerializer(serializers.Serializer):
    plan = PlanOutputSerializer()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PlanVersion.Status.choices)
    vision = serializers.CharField()
    reason = serializers.CharField()
    adoption = AdoptionOutputSerializer(allow_null=True, default=None)
    nodes = NodeOutputSerializer(many=True)


class PlanFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Plan.Kind.choices)
    status = filters.ChoiceFilter(choices=Plan.Status.choices)
    region = filters.CharFilter(field_name="region__code", lookup_expr="iexact")
    municipality = filters.CharFilter(field_name="municipality__code", lookup_expr="iexact")

    class Meta:
        model = Plan
        fields = ["kind", "status", "region", "municipality"]


class PlanListApi(APIView):
    @extend_schema(responses=PlanOutputSerializer(many=True), parameters=filter_parameters(PlanFilter), tags=["plans"])
    def get(self, request):
        return paginate(
            self, request, lambda: filtered(PlanFilter, request, selectors.plan_list(user=request.user)), PlanOutputSerializer
        )


class PlanDetailApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("version", int, description="Version number; the latest readable one if omitted.")],
        responses={200: VersionOutputSerializer, 404: ErrorSerializer},
        tags=["plans"],
    )
    def get(self, request, pk: int):
        plan = selectors.plan_get(user=request.user, pk=pk)
        number = request.query_params.get("version", "")
        version = selectors.version_get(user=request.user, plan=plan, number=int(number) if number.isdigit() else None)
        data = VersionOutputSerializer(
            {
                "plan": plan,
                "number": version.number,
                "status": version.status,
                "vision": version.vision,
                "reason": version.reason,
                "adoption": getattr(version, "adoption", None),
                "nodes": selectors.node_rows(version=version),
            }
        ).data
        return Response(data)
