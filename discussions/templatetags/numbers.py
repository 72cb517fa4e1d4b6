"""Numbers as the reader's language writes them: a share of votes ("80%", "80 %")."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(whole: int | None) -> str:
    """A share in whole percent; an en dash where there is none (no votes yet)."""
    if whole is None:
        return "–"
    # Translators: a share of votes, e.g. "80%".
    return _("%(percent)s%%") % {"percent": whole}
