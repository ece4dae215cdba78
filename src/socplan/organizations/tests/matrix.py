from socplan.tests.matrix import case, expect

# Who sees what (see organizations.selectors.user_scope):
#   the VTR regional administration and its body: admin, national (read), regional (own, write);
#   the NGO in the municipality VTR04: admin, national (read), regional and municipal (partner in
#   their territory, write), provider (own, write); directorate and outsider never see either.
VTR_ORG = {"kwargs": lambda o: {"pk": o["vtr_org"].pk}}
NGO = {"kwargs": lambda o: {"pk": o["ngo"].pk}}
VTR_BODY = {"kwargs": lambda o: {"pk": o["vtr_body"].pk}}

SEE_VTR = dict(admin=200, national=200, regional=200)
SEE_NGO = dict(admin=200, national=200, regional=200, municipal=200, provider=200)
EDIT_NGO = dict(admin=200, national=403, regional=200, municipal=200, provider=200)


def _order(role, o):
    return {"number": f"ОА-{role}", "date": "20.06.2017", "issued_by": "Областен управител"}


def _member(role, o):
    return {"person_name": f"Член {role}", "composition": "core", "role": "member", "start_date": "21.06.2017"}


def _new_ngo(role, o):
    return {"kind": "ngo", "name": f"Сдружение {role}", "municipality": "VTR04"}


CASES = [
    case("org-list", "organizations:organization-list", expect(200, anonymous=302)),
    case("org-detail-regional", "organizations:organization-detail", expect(404, anonymous=302, **SEE_VTR), **VTR_ORG),
    case("org-detail-ngo", "organizations:organization-detail", expect(404, anonymous=302, **SEE_NGO), **NGO),
    case("org-detail-guessed-id", "organizations:organization-detail", expect(404, anonymous=302), kwargs=lambda o: {"pk": 987654}),
    case("org-update-ngo", "organizations:organization-update", expect(404, anonymous=302, **EDIT_NGO), **NGO),
    case("org-update-regional", "organizations:organization-update", expect(404, anonymous=302, admin=200, national=403, regional=200), **VTR_ORG),
    case("org-create", "organizations:organization-create", expect(403, anonymous=302, admin=200, regional=200, municipal=200, outsider=200)),
    case("body-detail", "organizations:body-detail", expect(404, anonymous=302, **SEE_VTR), **VTR_BODY),
    case("body-detail-guessed-id", "organizations:body-detail", expect(404, anonymous=302), kwargs=lambda o: {"pk": 987654}),
    case("body-create", "organizations:body-create", expect(404, anonymous=302, admin=200, national=403, regional=200), kwargs=lambda o: {"organization_pk": o["vtr_org"].pk}),
    case("order-create", "organizations:appointment-create", expect(404, anonymous=302, admin=302, national=403, regional=302), method="post", data=_order, **VTR_BODY),
    case("member-create", "organizations:membership-create", expect(404, anonymous=302, admin=302, national=403, regional=302), method="post", data=_member, **VTR_BODY),
    case(
        "member-end",
        "organizations:membership-end",
        expect(404, anonymous=302, admin=302, national=403, regional=302),
        method="post",
        data={"end_date": "01.01.2018"},
        kwargs=lambda o: {"pk": o["vtr_body"].pk, "membership_pk": o["member"].pk},
    ),
    # API: anonymous callers get 401; the same scoping as the pages.
    case("api-me", "api:me", expect(200, anonymous=401)),
    case("api-org-list", "api:organization-list", expect(200, anonymous=401)),
    case("api-org-detail", "api:organization-detail", expect(404, anonymous=401, **SEE_VTR), **VTR_ORG),
    case("api-org-detail-guessed-id", "api:organization-detail", expect(404, anonymous=401), kwargs=lambda o: {"pk": 987654}),
    case(
        "api-org-create",
        "api:organization-create",
        expect(403, anonymous=401, admin=201, regional=201, municipal=201, outsider=400),
        method="post",
        data=_new_ngo,
        content_type="application/json",
    ),
    case(
        "api-org-update",
        "api:organization-update",
        expect(404, anonymous=401, **EDIT_NGO),
        method="patch",
        data={"phone": "062 600 000"},
        **NGO,
    ),
    case("api-body-list", "api:body-list", expect(200, anonymous=401)),
    case("api-body-detail", "api:body-detail", expect(404, anonymous=401, **SEE_VTR), **VTR_BODY),
    case(
        "api-order-create",
        "api:appointment-create",
        expect(404, anonymous=401, admin=201, national=403, regional=201),
        method="post",
        data=_order,
        content_type="application/json",
        **VTR_BODY,
    ),
    case(
        "api-member-create",
        "api:membership-create",
        expect(404, anonymous=401, admin=201, national=403, regional=201),
        method="post",
        data=_member,
        content_type="application/json",
        **VTR_BODY,
    ),
]
