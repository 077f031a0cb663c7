"""Treatment-state readings (nlp/treatment_state.py) that a golden tree cannot isolate."""

from trialmatch.nlp import parse_eligibility
from trialmatch.nlp.treatment_state import _windows, state_entries, state_mentions
from trialmatch.rules import to_text


def _tree(text: str) -> str:
    return to_text(parse_eligibility(text).cohorts[0].rule)


def test_state_of_one_item_in_a_list_of_diseases_is_not_read():
    # the state qualifies one disease of the list, not every patient of the criterion
    tree = _tree("Inclusion Criteria:\n- Transplant candidates with myelodysplastic syndrome; "
                 "acute lymphoblastic leukaemia with refractory disease; mantle cell lymphoma; "
                 "myelofibrosis")
    assert "anticancer_therapy" not in tree
    assert "prior(anticancer_therapy)" in _tree(
        "Inclusion Criteria:\n- Acute lymphoblastic leukaemia with refractory disease")


def test_anchored_search_finds_what_a_whole_text_scan_finds():
    text = ("Inclusion Criteria:\n- " + "Adequate organ function. " * 30
            + "Previously untreated follicular lymphoma; no prior therapy other than radiotherapy;"
            " progression after at least one earlier systemic regimen; R/R disease")
    found = {(m.start, m.end) for m in state_mentions(text, [])}
    scanned = {h.span() for e in state_entries() for h in e.regex.finditer(text)}
    assert found and found <= scanned
    assert all(any(a <= s and t <= b for a, b in _windows(text.lower(), e.anchors))
               for e in state_entries() for s, t in (h.span() for h in e.regex.finditer(text)))
