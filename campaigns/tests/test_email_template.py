"""Follow-up email templates are checked when edited: one that cannot render is refused with
the reason, on the field it is in (the admin's form shows it there)."""

import pytest
from django.core.exceptions import ValidationError

from campaigns.tests.factories import EmailTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("subject", "Hello {% if %}", "Unexpected end of expression"),
        ("body_text", '{% include "letterhead.txt" %}', "letterhead.txt"),
        ("body_html", '{% extends "base.html" %}<p>x</p>', "base.html"),
        ("body_text", "{% load humanize %}{{ 3|intcomma }}", "humanize"),
    ],
)
def test_a_template_that_cannot_render_is_refused_on_its_field(field, value, reason):
    template = EmailTemplateFactory.build(**{field: value})
    with pytest.raises(ValidationError) as excinfo:
        template.full_clean()
    [message] = excinfo.value.message_dict[field]
    assert message.startswith("This template cannot be rendered:")
    assert reason in message


def test_the_variables_and_built_in_tags_pass():
    EmailTemplateFactory.build(
        subject="Thanks {{ contact.external_contact_id|default:'friend' }}",
        body_text="{% if answers.q1 %}You said {{ answers.q1 }}.{% endif %} {{ campaign.name }}",
        body_html="<p>{{ answers.q3|upper }}</p>",
    ).full_clean()
