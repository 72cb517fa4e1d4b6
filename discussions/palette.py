"""The colours the synthesis page and the PDF report share, one list for both: the opinion
groups', those of a tally (agree, disagree, pass) and of participants in no opinion group.
They are static/css/app.css's light tokens (--accent, --bad, --ok, --warn; --field-line),
which meet WCAG AA on white; the page and the report also tell groups apart by letter and
marker shape, so colour is never the only cue."""

OPINION_GROUPS = ("#0b5cad", "#b42318", "#1a7f37", "#9a6700", "#6e40c9")
AGREE, DISAGREE, PASS = "#1a7f37", "#b42318", "#8c959f"
UNGROUPED = "#8c959f"  # participants with too few votes to place in a group


def rgb(colour: str) -> tuple[int, int, int]:
    """ "#0b5cad" as (11, 92, 173), for the PDF."""
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
