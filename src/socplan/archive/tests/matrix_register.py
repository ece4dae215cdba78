"""Role-matrix cases of the incoming register and the e-delivery inbox (see
socplan/tests/test_role_matrix.py; merged into the archive's cases by archive/tests/matrix.py).

Objects (`objects(users)`): an entry of the register of Велико Търново's ДСП (the directorate
user's own) and one of a Плевен ДСП; a failed e-delivery message of each (the robot could not
process them).

Who: the directorate's staff keep their own register and inbox (register, settings, try a message
again) and do not see another directorate's (404); the agency's national expert reads every
register and inbox but registers and changes nothing (403); the administrator keeps all of them.
Regional, municipal, provider and outsider users have no archive (403).
"""

from socplan.tests.matrix import case, expect

READ = dict(anonymous=302, admin=200, national=200, directorate=200)
OTHER = dict(anonymous=302, admin=200, national=200, directorate=404)
EDIT = dict(anonymous=302, admin=200, national=403, directorate=200)
EDIT_OTHER = dict(anonymous=302, admin=200, national=403, directorate=404)
WRITE = dict(anonymous=302, admin=302, national=403, directorate=302)
WRITE_OTHER = dict(anonymous=302, admin=302, national=403, directorate=404)


def _entry_data(role, o):
    return {"directorate": o["rg_vtr_dsp"].pk, "sender": f"Подател ({role})", "subject": "Заявление", "channel": "counter"}


def _settings_data(role, o):
    return {"code": "ДСП-ВТ", "number_format": "{code}-{seq:05d}/{date}", "drop_folder": ""}


CASES = [
    case("register-list", "archive:register_list", expect(403, **READ)),
    case("register-export", "archive:register_export", expect(403, **READ)),
    case("register-create", "archive:register_create", expect(403, anonymous=302, admin=200, directorate=200)),
    case("register-create-post", "archive:register_create", expect(403, anonymous=302, admin=302, directorate=302),
         method="post", data=_entry_data),
    case("register-detail", "archive:register_detail", expect(403, **READ), kwargs=lambda o: {"pk": o["rg_entry"].pk}),
    case("register-detail-other", "archive:register_detail", expect(403, **OTHER), kwargs=lambda o: {"pk": o["rg_entry_other"].pk}),
    case("register-settings", "archive:register_settings", expect(403, **EDIT),
         kwargs=lambda o: {"directorate_pk": o["rg_vtr_dsp"].pk}),
    case("register-settings-other", "archive:register_settings", expect(403, **EDIT_OTHER),
         kwargs=lambda o: {"directorate_pk": o["rg_pvn_dsp"].pk}),
    case("register-settings-save", "archive:register_settings", expect(403, **WRITE), method="post", data=_settings_data,
         kwargs=lambda o: {"directorate_pk": o["rg_vtr_dsp"].pk}),
    case("register-settings-save-other", "archive:register_settings", expect(403, **WRITE_OTHER), method="post",
         data=_settings_data, kwargs=lambda o: {"directorate_pk": o["rg_pvn_dsp"].pk}),
    case("inbox-list", "archive:inbox_list", expect(403, **READ)),
    case("inbox-detail", "archive:inbox_detail", expect(403, **READ), kwargs=lambda o: {"pk": o["rg_message"].pk}),
    case("inbox-detail-other", "archive:inbox_detail", expect(403, **OTHER), kwargs=lambda o: {"pk": o["rg_message_other"].pk}),
    # The message is not in any inbox folder: trying again fails again (a message, 302), changing nothing.
    case("inbox-retry", "archive:inbox_retry", expect(403, **WRITE), method="post", kwargs=lambda o: {"pk": o["rg_message"].pk}),
    case("inbox-retry-other", "archive:inbox_retry", expect(403, **WRITE_OTHER), method="post",
         kwargs=lambda o: {"pk": o["rg_message_other"].pk}),
]


def objects(users) -> dict:
    """The objects the cases above use (built by the role-matrix fixture)."""
    from socplan.archive.models import InboxMessage, RegisterEntry
    from socplan.archive.register import register_entry_create
    from socplan.organizations.models import Organization
    from socplan.organizations.tests.factories import OrganizationFactory
    from socplan.territory.models import Municipality

    vtr_dsp = users["directorate"].role_assignments.get().organization
    pvn_dsp = OrganizationFactory(
        kind=Organization.Kind.DSP, name="ДСП Плевен (регистър, матрица)", municipality=Municipality.objects.get(code="PVN24")
    )
    result = {"rg_vtr_dsp": vtr_dsp, "rg_pvn_dsp": pvn_dsp}
    for key, directorate in (("", vtr_dsp), ("_other", pvn_dsp)):
        result[f"rg_entry{key}"] = register_entry_create(
            directorate=directorate, sender="Мария Петрова", subject="Заявление-декларация", channel=RegisterEntry.Channel.POST
        )
        result[f"rg_message{key}"] = InboxMessage.objects.create(
            adapter="folder", external_id=f"matrix-register{key}", directorate=directorate, sender_name="Иван Иванов",
            subject="Сигнал", status=InboxMessage.Status.FAILED, error="Повреден файл",
        )
    return result
