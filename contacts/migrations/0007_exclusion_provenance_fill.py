"""Fill the provenance of the exclusion entries added before it was recorded, with what can be
inferred: a callee's "do not call me" by its fixed reason, the person who added an entry from
the audit log's `exclusion.add` line. The rest stays unknown (the page says so)."""

from django.db import migrations

CALLEE_REASON = "Asked not to be called again, during a survey call."


def fill(apps, schema_editor):
    ExclusionEntry = apps.get_model("contacts", "ExclusionEntry")
    AuditLog = apps.get_model("voicesurvey", "AuditLog")
    ExclusionEntry.objects.filter(source="manual", reason=CALLEE_REASON).update(source="callee")
    added = AuditLog.objects.filter(
        action="exclusion.add",
        object_type="contacts.exclusionentry",
        actor__isnull=False,
    ).values_list("object_id", "actor_id")
    for object_id, actor_id in added.iterator(chunk_size=2000):
        ExclusionEntry.objects.filter(
            pk=object_id, added_by__isnull=True, source__in=("manual", "api")
        ).update(added_by_id=actor_id)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_exclusion_provenance"),
        ("voicesurvey", "0001_initial"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
