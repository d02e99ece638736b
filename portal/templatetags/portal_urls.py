"""One reverse() per list instead of one per row.

    {% load portal_urls %}
    {% url_pattern "repair_detail" as detail_url %}
    {% for item in page %}<a href="{{ detail_url|fill:item.reference }}">…{% endfor %}

The URL is reversed once with a placeholder in place of its one argument; each row then only
puts its own value, quoted the way reverse() quotes it, where the placeholder was.
"""

from urllib.parse import quote

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.http import RFC3986_SUBDELIMS

register = template.Library()

# One placeholder fits a str or slug converter, the other an int converter.
PLACEHOLDERS = ("url-pattern-placeholder", 918273645)


class UrlPattern:
    def __init__(self, prefix: str, suffix: str):
        self.prefix = prefix
        self.suffix = suffix

    def fill(self, value) -> str:
        # The same quoting as reverse() gives an argument.
        return self.prefix + quote(str(value), safe=RFC3986_SUBDELIMS + "/~:@") + self.suffix


@register.simple_tag
def url_pattern(viewname: str) -> UrlPattern:
    """The URL named viewname, reversed once, for a value given later by |fill."""
    for placeholder in PLACEHOLDERS:
        try:
            url = reverse(viewname, args=[placeholder])
        except NoReverseMatch:
            continue
        prefix, _, suffix = url.partition(str(placeholder))
        return UrlPattern(prefix, suffix)
    raise NoReverseMatch(f"{viewname!r} does not take one str or int argument")


@register.filter
def fill(pattern: UrlPattern, value) -> str:
    return pattern.fill(value)
