"""API tokens move from DRF's table (plain text, never expiring) to django-rest-knox's (a hash
of each token, an expiry). An existing token keeps working as it is: knox finds a token by its
first 15 characters and compares the hash of the whole, both computed here from the old key;
it now expires API_TOKEN_TTL_DAYS after this migration. The plain-text rows are deleted."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def tokens_to_knox(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    Token = apps.get_model("authtoken", "Token")
    AuthToken = apps.get_model("knox", "AuthToken")
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    for old in Token.objects.all():
        AuthToken.objects.create(
            user_id=old.user_id,
            token_key=old.key[: CONSTANTS.TOKEN_KEY_LENGTH],
            digest=hash_token(old.key),
            expiry=timezone.now() + ttl if ttl else None,
        )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("voicesurvey", "0001_initial"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(tokens_to_knox, migrations.RunPython.noop)]
