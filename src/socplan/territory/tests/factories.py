import factory
from factory.django import DjangoModelFactory

from socplan.territory.models import Municipality, Region, Settlement


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"T{n:02d}"[-3:])
    name_bg = factory.Sequence(lambda n: f"Област {n}")
    name_en = factory.Sequence(lambda n: f"Region {n}")
    nuts1 = "BG3"
    nuts2 = "BG31"
    nuts3 = factory.Sequence(lambda n: f"BX{n:03d}"[-5:])
    center_ekatte = "00000"


class MunicipalityFactory(DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ["code"]

    region = factory.SubFactory(RegionFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.region.code}{n % 100:02d}")
    name_bg = factory.Sequence(lambda n: f"Община {n}")
    name_en = factory.Sequence(lambda n: f"Municipality {n}")
    nuts3 = factory.SelfAttribute("region.nuts3")
    center_ekatte = "00000"


class SettlementFactory(DjangoModelFactory):
    class Meta:
        model = Settlement
        django_get_or_create = ["ekatte"]

    municipality = factory.SubFactory(MunicipalityFactory)
    ekatte = factory.Sequence(lambda n: f"{90000 + n % 10000:05d}")
    kind = Settlement.Kind.VILLAGE
    name_bg = factory.Sequence(lambda n: f"Село {n}")
    name_en = factory.Sequence(lambda n: f"Selo {n}")
