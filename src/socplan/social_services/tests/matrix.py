"""Role-matrix cases of the social services register (see socplan/tests/test_role_matrix.py).

Objects: a published service of the NGO in Veliko Tarnovo (VTR04), an unpublished service of
the same municipality run by the municipality, and a specialised institution in VTR04.
Who: the provider edits only its own services; the municipal and regional experts of Veliko
Tarnovo edit the services of their territory; the national expert reads all; the public sees
published services in the catalogue, never unpublished ones.
"""

from socplan.tests.matrix import case, expect

NGO_SERVICE = {"kwargs": lambda o: {"pk": o["ss_ngo_service"].pk}}
HIDDEN = {"kwargs": lambda o: {"pk": o["ss_hidden_service"].pk}}
INSTITUTION = {"kwargs": lambda o: {"pk": o["ss_institution"].pk}}

# Published services are visible to every signed-in user; editing follows territory and provider.
EDIT_NGO = dict(admin=200, national=403, regional=200, municipal=200, provider=200, directorate=403, outsider=403)
SEE_HIDDEN = dict(admin=200, national=200, regional=200, municipal=200)
EDIT_HIDDEN = dict(admin=200, national=403, regional=200, municipal=200)
TERRITORY = dict(admin=200, national=200, regional=200, municipal=200)

CASES = [
    case("service-list", "social_services:service-list", expect(200, anonymous=302)),
    case("service-create", "social_services:service-create", expect(200, anonymous=302, national=403)),
    case("service-detail-published", "social_services:service-detail", expect(200, anonymous=302), **NGO_SERVICE),
    case("service-detail-unpublished", "social_services:service-detail", expect(404, anonymous=302, **SEE_HIDDEN), **HIDDEN),
    case("service-update-ngo", "social_services:service-update", expect(403, anonymous=302, **EDIT_NGO), **NGO_SERVICE),
    case("service-update-unpublished", "social_services:service-update", expect(404, anonymous=302, **EDIT_HIDDEN), **HIDDEN),
    case(
        "occupancy-record",
        "social_services:service-detail",
        expect(403, anonymous=302, admin=302, regional=302, municipal=302, provider=302),
        method="post",
        data={"period": "month", "starts_on": "2024-01-01", "users": 12, "waiting": 0},
        **NGO_SERVICE,
    ),
    case(
        "card-edit",
        "social_services:card-edit",
        expect(404, anonymous=302, **SEE_HIDDEN),
        kwargs=lambda o: {"pk": o["ss_hidden_service"].pk, "variant": "persons"},
    ),
    case(
        "card-save",
        "social_services:card-edit",
        expect(403, anonymous=302, admin=302, regional=302, municipal=302, provider=302),
        method="post",
        data={"from": "2024-01-01", "to": "2024-12-31", "save": "1", "capacity": "20"},
        kwargs=lambda o: {"pk": o["ss_ngo_service"].pk, "variant": "persons"},
    ),
    case("register-as-of", "social_services:register-as-of", expect(200, anonymous=302)),
    case("gap", "social_services:gap", expect(200, anonymous=302)),
    case("import", "social_services:import", expect(200, anonymous=302, national=403)),
    # An import's page is its uploader's only (the municipal expert's here).
    case(
        "import-job",
        "social_services:import-job",
        expect(404, anonymous=302, municipal=200),
        kwargs=lambda o: {"pk": o["ss_import_job"].pk},
    ),
    case(
        "import-template",
        "social_services:import-template",
        expect(200, anonymous=302),
        kwargs=lambda o: {"kind": "services", "fmt": "xlsx"},
    ),
    case(
        "export",
        "social_services:export",
        expect(200, anonymous=302),
        kwargs=lambda o: {"kind": "services", "fmt": "csv"},
    ),
    case("institution-list", "social_services:institution-list", expect(200, anonymous=302)),
    case("institution-create", "social_services:institution-create", expect(200, anonymous=302, national=403)),
    case("institution-detail", "social_services:institution-detail", expect(404, anonymous=302, **TERRITORY), **INSTITUTION),
    case(
        "institution-update",
        "social_services:institution-update",
        expect(404, anonymous=302, admin=200, national=403, regional=200, municipal=200),
        **INSTITUTION,
    ),
    case("catalogue", "social_services:catalogue", expect(200)),
    case("public-map", "social_services:public-map", expect(200)),
    case("public-service", "social_services:public-service", expect(200), **NGO_SERVICE),
    case("public-service-unpublished", "social_services:public-service", expect(404), **HIDDEN),
    # API: the same scoping; anonymous callers get 401.
    case("api-service-list", "api:service-list", expect(200, anonymous=401)),
    case("api-service-detail-unpublished", "api:service-detail", expect(404, anonymous=401, **SEE_HIDDEN), **HIDDEN),
    case(
        "api-service-update",
        "api:service-update",
        expect(403, anonymous=401, admin=200, regional=200, municipal=200, provider=200),
        method="patch",
        data={"capacity": 25},
        **NGO_SERVICE,
    ),
    case(
        "api-service-create",
        "api:service-create",
        # The provider registers a service of its own; others may not register for that provider.
        expect(400, anonymous=401, admin=201, regional=201, municipal=201, provider=201, national=403, directorate=403, outsider=403),
        method="post",
        data=lambda role, o: {
            "name": f"Нова услуга {role}", "service_type": o["ss_ngo_service"].service_type.code,
            "provider": o["ss_ngo_service"].provider_id, "settlement": o["ss_ngo_service"].settlement.ekatte,
            "capacity": 10, "financing": "municipal",
        },
        content_type="application/json",
    ),
    case("api-occupancy", "api:service-occupancy", expect(200, anonymous=401), **NGO_SERVICE),
    case("api-gap", "api:service-gap", expect(200, anonymous=401)),
]


def objects(users, vtr_ngo) -> dict:
    from socplan.organizations.models import Organization
    from socplan.social_services.models import SpecializedInstitution

    from .factories import ServiceFactory

    municipality_org = Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality__code="VTR04")
    ngo_service = ServiceFactory(name="ЦОП на НПО", provider=vtr_ngo)
    hidden = ServiceFactory(name="Непубликувана услуга", provider=municipality_org, is_published=False)
    institution = SpecializedInstitution.objects.create(
        name="Дом за деца", users="children", municipality=hidden.municipality, region=hidden.region,
        operator=municipality_org, capacity=40,
    )
    from django.core.files.base import ContentFile

    from socplan.social_services.models import ExchangeJob

    job = ExchangeJob(kind="services", filename="услуги.csv", created_by=users["municipal"], status="done")
    job.file.save("uslugi.csv", ContentFile(b"x"), save=False)
    job.save()
    return {"ss_ngo_service": ngo_service, "ss_hidden_service": hidden, "ss_institution": institution, "ss_import_job": job}
