from django import template
from django.conf import settings

from contacts.csv_import import REJECTION_LABELS
from contacts.views import TABLE_TEMPLATE, contacts_table_context

register = template.Library()


@register.filter
def rejection_label(code: str) -> str:
    """`{{ "invalid_phone"|rejection_label }}` → "invalid phone number"."""
    return REJECTION_LABELS.get(code, code.replace("_", " "))


@register.filter
def attribute_items(attributes: dict | None) -> list[tuple[str, str]]:
    """`{% for name, value in contact.attributes|attribute_items %}`: by name. Not
    `attributes.items`, which a template reads as the attribute named "items" when there is
    one."""
    return sorted((attributes or {}).items())


@register.filter
def items_in_order(mapping: dict | None) -> list[tuple]:
    """`{% for key, value in report.ignored_column_reasons|items_in_order %}`: safe from a key
    named "items", which `mapping.items` would read instead of the method."""
    return list((mapping or {}).items())


@register.simple_tag
def upload_limit_mb() -> int:
    """`{% upload_limit_mb %}`: MAX_UPLOAD_MB, for the upload forms' hint."""
    return settings.MAX_UPLOAD_MB


@register.simple_tag
def default_phone_region() -> str:
    """`{% default_phone_region %}`: the region national numbers are read in (e.g. IT)."""
    return settings.DEFAULT_PHONE_REGION


@register.inclusion_tag(TABLE_TEMPLATE, takes_context=True)
def contacts_table(context, campaign):
    """`{% contacts_table campaign %}`: the contacts table, rendered with the page (its filters
    read from the page's query string); the page needs `request` and `caps` in its context, as
    every page rendered with render() has. The same as including contacts/_contacts_table.html
    with contacts_table_context(...) in the view's context."""
    request = context["request"]
    return {
        **contacts_table_context(request=request, campaign=campaign),
        "request": request,
        "caps": context.get("caps", {}),
    }
