"""Pieces every API endpoint shares: pagination, one error body, scoped lookups."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django_filters import BooleanFilter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .cache import cached_value
from .exceptions import ApplicationError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def _validation_detail(error: ValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc, context):
    """Map domain errors onto one error body: {"detail": …, "errors": {field: [messages]}}."""
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, ApplicationError):
        exc = exceptions.ValidationError({"non_field_errors": [str(exc.message)]})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": _("The data you sent is not valid."), "errors": response.data}
    return response


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


def paginate(view, request, queryset, serializer_class, *, scoped: bool = True):
    """Page `queryset` (or a function returning it, so that a cache hit runs no query at all) and
    serialize it in the paginated envelope; cached until the data changes."""

    def build():
        qs = queryset() if callable(queryset) else queryset
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=view)
        data = paginator.get_paginated_response(serializer_class(page, many=True).data).data
        return {"data": data, "json": JSONRenderer().render(data)}

    key = ("api", request.get_host(), request.get_full_path(), serializer_class.__name__)
    cached = cached_value(request, key, build, scoped=scoped)
    if getattr(request, "accepted_renderer", None) is not None and request.accepted_renderer.format == "json":
        # The JSON is rendered once per data version, not on every request.
        return HttpResponse(cached["json"], content_type="application/json")
    return Response(cached["data"])


def filter_parameters(filterset_class) -> list[OpenApiParameter]:
    """The query parameters of a FilterSet, for @extend_schema (our views are plain APIViews)."""
    params = []
    for name, flt in filterset_class.base_filters.items():
        kind = OpenApiTypes.BOOL if isinstance(flt, BooleanFilter) else OpenApiTypes.STR
        choices = getattr(flt, "extra", {}).get("choices")
        enum = [c[0] for c in choices] if choices and not callable(choices) else None
        params.append(OpenApiParameter(name, kind, required=False, enum=enum, description=str(flt.label or "")))
    return params


def filtered(filterset_class, request, queryset):
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs
