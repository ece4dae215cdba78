from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from simple_history.admin import SimpleHistoryAdmin

from .models import Appointment, Body, Membership, Organization, RoleAssignment


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "region", "municipality", "is_active"]
    list_filter = ["kind", "region", "is_active"]
    search_fields = ["name", "short_name", "eik"]
    raw_id_fields = ["municipality", "parent"]


class AppointmentInline(admin.TabularInline):
    model = Appointment
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["organization", "user", "appointment"]


@admin.register(Body)
class BodyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "organization", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["organization"]
    inlines = [AppointmentInline, MembershipInline]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    raw_id_fields = ["organization", "region", "municipality"]


admin.site.unregister(User)


@admin.register(User)
class SocplanUserAdmin(UserAdmin, SimpleHistoryAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "organization", "region", "municipality", "is_active"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["user", "organization", "region", "municipality"]
