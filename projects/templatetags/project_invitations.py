"""The notice on the tenant's repairs page of a project waiting for their choice."""

from django import template

from ..selectors import project_rows_open_for_tenant

register = template.Library()


@register.inclusion_tag("projects/_invitations.html", takes_context=True)
def project_invitations(context):
    """The projects of the tenant's homes that wait for a time or an answer: one query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"rows": []}
    return {"rows": list(project_rows_open_for_tenant(user=user)[:5])}
