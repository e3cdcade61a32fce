"""CH-E133: `check` finds partner-facing text that names an internal channel, exactly where the
partner projection would refuse it at build time.

The projection (`charter.targets.config.partner_projection`) is the one judge: each case is
compiled, then projected, and the check's answer must be the projection's, both ways: an
error where the projection refuses (a build would fail after a clean check), none where it
accepts (a false alarm would block a valid program). The cases cover every kind of place a
partner reads, and the places that look partner-facing but are internal (an example that
quotes the channel or states an internal metric, an internal handover or process, a waiver,
the economics, a comment).
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from charter.api import compile_text
from charter.targets.config import ConfigSchemaError, build_config, partner_projection
from program_strategy import programs

HEAD = 'program t { title: "T"; currency: USD; status: draft }\n'
BASE = (
    "product P { layer: software; list_price: $10 per user per month }\n"
    "internal channel Bench { model: referral; owner: vendor; commission: 5%;"
    " lead_protection: 30 days }\n"
    "channel R { model: referral; owner: vendor; commission: 10%; lead_protection: 90 days }\n")
DOC = '    """Priced against the Bench offer."""\n'

# name: (text after HEAD, the line CH-E133 is reported on, or None for no error)
CASES = {
    "program title": (None, 1),
    "product doc": (BASE + "product Q {\n" + DOC + "    layer: services\n}\n", 6),
    "channel doc": (BASE + "channel S {\n" + DOC + "    model: referral; owner: vendor;"
                    " commission: 5%; lead_protection: 90 days\n}\n", 6),
    "tier doc": (BASE + "channel S { model: resale; owner: partner; lead_protection: 90 days\n"
                 "    tier Gold {\n" + DOC + "        margin: 20% } }\n", 7),
    "mitigation applies_to": (BASE + "mitigation m { enforcement: gate;"
                              " applies_to: Bench }\n", 5),
    "mitigation title": (BASE + 'mitigation m { enforcement: gate; applies_to: R\n'
                         '    title: "Not for Bench" }\n', 6),
    "split party": (BASE + "attribution { default: single\n"
                    "    split s { Bench: 10%; R: 90% } }\n", 6),
    "partner example doc": (BASE + "example e {\n" + DOC + "    product: P; seats: 10;"
                            " route: R }\n", 6),
    "scoring dimension": (BASE + "scoring s { dimension Bench { weight: 100 };"
                          " band all { range: 0 .. 101 } }\n", 5),
    "spiff trigger": (BASE + 'spiff q { trigger: "beat the Bench numbers"; reward: $100 }\n', 5),
    # internal, or not text: no error, and the projection agrees
    "example quoting the channel": (BASE + "example e {\n" + DOC + "    product: P;"
                                    " seats: 10; route: Bench }\n", None),
    "example stating an internal metric": (
        BASE + "example e {\n" + DOC + "    product: P; seats: 10; route: R\n"
        "    expect { vendor_receives: $1_200 } }\n", None),
    "internal handover": (BASE + "handover Bench -> R {\n" + DOC + "    introducer_rate: 2%\n}\n",
                          None),
    "internal process": (BASE + "internal process p {\n" + DOC + "    step a { within: 2 days }"
                         "\n}\n", None),
    "waiver reason": (BASE + 'waiver w { policy: tier_count; reason: "Bench is a benchmark";'
                      ' owner: "ops"; expires: 2099-01-01 }\n', None),
    "economics walk": (BASE + 'internal economics { cogs: 5%; margin_floor: 10%;'
                       ' walk: "below Bench" }\n', None),
    "an escape before the name": (BASE + 'product Q {\n    """Priced against the\\nBench'
                                  ' offer."""\n    layer: services\n}\n', 6),
    "a comment": (BASE + "product Q {  # priced against Bench\n    layer: services\n}\n", None),
    "a longer word": (BASE + 'product Q {\n    """Benchmarks and xBench are other words."""\n'
                      "    layer: services\n}\n", None),
    # partner documents print an identifier's `_` as a space: `beat_Bench` is "beat Bench"
    "an identifier's part": (BASE + 'spiff beat_Bench {\n    trigger: "first deal"\n'
                             "    reward: $100\n    duration: 90 days\n}\n", 5),
}


def _text(case: str) -> str:
    text, _line = CASES[case]
    if text is None:   # the program's own title
        return HEAD.replace('title: "T"', 'title: "T, not Bench"') + BASE
    return HEAD + text


def _refused(program) -> bool:
    try:
        partner_projection(build_config(program))
    except ConfigSchemaError:
        return True
    return False


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_check_says_what_the_projection_refuses_where_it_is_written(case):
    program, reporter = compile_text(_text(case), "t.charter")
    assert program is not None
    found = [d for d in reporter.sorted() if d.code == "CH-E133"]
    others = [d.code for d in reporter.sorted() if d.code.startswith("CH-E") and
              d.code != "CH-E133"]
    assert others == [], others
    line = CASES[case][1]
    assert [d.span.line for d in found] == ([] if line is None else [line]), \
        [(d.span.line, d.message) for d in found]
    assert _refused(program) == bool(found)


def test_the_message_says_what_holds_the_text_and_how_to_fix_it():
    _program, reporter = compile_text(_text("product doc"), "t.charter")
    [error] = [d for d in reporter.sorted() if d.code == "CH-E133"]
    assert error.message == ("the doc string of product `Q` names internal channel `Bench`,"
                             " and partners read it")
    assert (error.span.line, error.span.column, error.span.end_column) == (6, 27, 32)  # `Bench`
    assert "drop `internal` from channel `Bench`" in error.help[0]


def test_an_example_that_cannot_be_quoted_is_its_own_error_not_a_crash():
    """Found in review: the projection quotes examples, and one a policy refused (CH-E302)
    raised a traceback; the partner-text check waits for such errors to be fixed."""
    text = HEAD + BASE + ('product Q { """Priced against Bench."""\n    layer: services }\n'
                          "example e { product: Q; seats: 10; route: R }\n")
    _program, reporter = compile_text(text, "t.charter")
    assert [d.code for d in reporter.sorted() if d.code.startswith("CH-E")] == ["CH-E302"]


@pytest.mark.parametrize("name", ["day", "example"])
def test_a_channel_named_like_the_projections_own_words_is_reported_at_its_name(name):
    """Found in review: the projection writes `day` (a unit), `example` (an id's kind)...
    itself; an internal channel of that name leaked with no text of the program naming it."""
    text = HEAD + BASE + (f"internal channel {name} {{ model: referral; owner: vendor;"
                          " commission: 5%; lead_protection: 30 days }\n"
                          "example e { product: P; seats: 10; route: R }\n")
    program, reporter = compile_text(text, "t.charter")
    found = [d for d in reporter.sorted() if d.code == "CH-E133"]
    assert [(d.span.line, d.message.split(" (at")[0]) for d in found] == \
        [(5, f"internal channel `{name}` is named like a word partner documents use")]
    assert _refused(program)


def test_a_leak_in_another_section_is_reported_where_the_name_is_written():
    """Found in review: a product named like the internal channel leaks into a wholesale
    tier's prices too; that is reported at the product's name, not at the program's."""
    text = HEAD + ("product Enterprise { layer: software; list_price: $10 per user per month;"
                   " msrp_floor: list_price }\n"
                   "internal channel Enterprise { model: referral; owner: vendor;"
                   " commission: 5%; lead_protection: 30 days }\n"
                   "channel W { model: wholesale; owner: partner; lead_protection: 90 days\n"
                   "    tier G { margin: 20% } }\n")
    _program, reporter = compile_text(text, "t.charter")
    found = [d for d in reporter.sorted() if d.code == "CH-E133"]
    assert [(d.span.line, d.span.column) for d in found] == [(2, 9)], \
        [(d.span.line, d.message) for d in found]


def test_the_files_path_is_not_partner_text(tmp_path):
    """Found in review: a span (a named tuple) was read as text, so a folder named like the
    internal channel made a false CH-E133."""
    from charter.api import compile_file

    folder = tmp_path / "Bench"
    folder.mkdir()
    path = folder / "p.charter"
    path.write_text(_text("mitigation title").replace('title: "Not for Bench"',
                                                      'title: "Reviewed"'), encoding="utf-8")
    _program, reporter, _sources = compile_file(path, root=tmp_path)
    assert [d.code for d in reporter.sorted() if d.code.startswith("CH-E")] == []


def test_messages_name_the_construct_in_words():
    handover = HEAD + BASE + 'handover R -> Bench {\n' + DOC + '    introducer_rate: 2%\n}\n'
    process = HEAD + BASE + "process p {\n    step a {\n" + DOC + "    within: 2 days }\n}\n"
    for text, expected in ((process, "the doc string of step `a` of process `p`"),):
        _program, reporter = compile_text(text, "t.charter")
        [error] = [d for d in reporter.sorted() if d.code == "CH-E133"]
        assert error.message.startswith(expected), error.message
    _program, reporter = compile_text(handover, "t.charter")
    assert [d.code for d in reporter.sorted() if d.code == "CH-E133"] == []  # internal


def test_check_builds_only_the_sections_that_name_the_channel(monkeypatch):
    """Found in review: one doc string naming the channel made check build the whole config
    (every route and example quoted: 29 s on a program 200 times eJourney's size)."""
    import charter.targets.config as config

    def refuse(*_args, **_kwargs):
        raise AssertionError("built a section that names no internal channel")

    for name in ("_channel", "_internal", "_example", "_mitigation"):
        monkeypatch.setattr(config, name, refuse)
    _program, reporter = compile_text(_text("product doc"), "t.charter")
    assert [d.code for d in reporter.sorted() if d.code == "CH-E133"] == ["CH-E133"]


def test_a_program_with_no_internal_mention_never_builds_a_config(monkeypatch):
    """The quick answer: the bundled eJourney program names its internal benchmark channel
    only inside internal constructs, so check never builds the projection for it."""
    import charter.targets.config as config
    from charter.api import compile_file
    from conftest import PROGRAMS

    def fail(*_args, **_kwargs):
        raise AssertionError("check built a config")

    monkeypatch.setattr(config, "build_config", fail)
    program, reporter, _sources = compile_file(PROGRAMS / "ejourney.charter")
    assert not reporter.has_errors
    assert any(c.internal for c in program.channels)


# ---- the same answer on generated programs, with an internal channel's name put anywhere ----

# A one-line string, or a doc string: the name goes just before the closing quote(s).
_STRING = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"')


def test_a_name_put_in_any_string_is_reported_exactly_when_the_projection_refuses():
    """A generated program (valid, all constructs) gains one internal channel, whose name is
    then written into one of its strings, anywhere: partner-facing or internal. Check and
    projection must agree on every such program; both answers must occur."""
    answers: list[bool] = []

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.reuse, Phase.generate),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def agree(data):
        text = data.draw(programs(relaxed=True), label="text")
        text += ("internal channel Zq_bench { model: referral; owner: vendor; commission: 1%;"
                 " lead_protection: 30 days }\n")
        strings = list(_STRING.finditer(text))
        if strings:
            at = strings[data.draw(st.integers(0, len(strings) - 1), label="string")]
            end = at.end() - (3 if at.group().startswith('"""') else 1)
            gap = data.draw(st.sampled_from([" ", "\\n", "\\t", "("]), label="gap")
            text = text[:end] + gap + "Zq_bench" + text[end:]
        program, reporter = compile_text(text, "t.charter")
        errors = [d for d in reporter.sorted() if d.code.startswith("CH-E")]
        if program is None or program.header.abstract or \
                any(d.code != "CH-E133" for d in errors):
            return   # the program no longer checks for another reason: nothing to compare
        assert _refused(program) == bool(errors), (text, [d.message for d in errors])
        answers.append(bool(errors))

    agree()
    assert True in answers and False in answers, answers


# ---- a partner-facing tier scope naming a tier only an internal channel has ---------------

INTERNAL_TIERS = (HEAD + "product P { layer: software; list_price: $10 per user per month }\n"
                  "internal channel Bench { model: resale; owner: partner; lead_protection:"
                  " 30 days\n    tier Gold { margin: 20% } }\n"
                  "channel R { model: referral; owner: vendor; commission: 10%;"
                  " lead_protection: 90 days }\n")


@pytest.mark.parametrize("scoped, line", [
    ("process qbr {\n    tiers: Gold and up\n    step s { owner: \"CSM\" }\n}\n", 7),
    ("internal process qbr {\n    tiers: Gold and up\n    step s { owner: \"CSM\" }\n}\n", None),
])
def test_a_scope_of_an_internal_channels_tier_is_not_every_partner(scoped, line):
    """The projection drops internal channels, so `tiers: Gold` read as "every partner"."""
    _program, reporter = compile_text(INTERNAL_TIERS + scoped, "t.charter")
    found = [d.span.line for d in reporter.sorted() if d.code == "CH-E133"]
    assert found == ([] if line is None else [line])


# ---- the vendor's internal vocabulary ----------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "Below 60% net GM after combined we walk.", "Our cost of goods is 3%.",
    "Vendor margin stays above 60%.", "The margin-death-line is 60%.",
    "The margin\u2011death line is 60%.", "We keep COGS low.", "Watch the MARGIN FLOOR."])
def test_a_doc_sentence_in_internal_vocabulary_is_dropped_from_the_guide(sentence):
    from charter.targets.wording import partner_prose
    assert partner_prose(f"Partners earn 20%. {sentence} Ask your manager.") == \
        "Partners earn 20%. Ask your manager."


@pytest.mark.parametrize("field, clean", [
    ('title: "Net margin review"', False), ('title: "Quarterly review"', True),
    ('"""Our COGS explain this cadence."""\n    title: "Quarterly review"', True)])
def test_partner_text_other_than_a_doc_string_may_not_use_internal_vocabulary(field, clean):
    text = HEAD + f"enablement {{\n  item train {{\n    {field}\n    cadence: annual\n  }}\n}}\n"
    _program, reporter = compile_text(text, "t.charter")
    assert ([d.code for d in reporter.sorted() if d.code == "CH-E134"] == []) == clean


def test_a_name_with_an_underscore_written_with_a_space_is_caught_by_check_and_build():
    """`Benchmark_Direct` written "Benchmark Direct": the projection's quick substring test
    looked for the name as written and let it through, so check said nothing either."""
    text = (HEAD + "product P { layer: software; list_price: $10 per user per month }\n"
            "internal channel Benchmark_Direct { model: referral; owner: vendor; commission: 5%;"
            " lead_protection: 30 days }\n"
            'spiff launch { trigger: "beats Benchmark Direct"; reward: $100; duration: 90 days }\n')
    program, reporter = compile_text(text, "t.charter")
    assert [(d.code, d.span.line) for d in reporter.sorted() if d.severity.value == "error"] \
        == [("CH-E133", 4)]
    from charter.targets.config import partner_leaks
    assert [name for _path, name in partner_leaks(build_config(program))] == ["Benchmark_Direct"]


def test_partner_text_mistakes_leave_the_policies_and_each_other_running():
    """CH-E134 (or CH-E133 from name resolution) stopped the policies and the partner-text
    check: one run showed one mistake, the next run the next."""
    text = (HEAD + "product P { layer: software; list_price: $10 per user per month }\n"
            "internal channel Bench { model: referral; owner: vendor; commission: 5%;"
            " lead_protection: 30 days }\n"
            'channel R {\n    """Priced against the Bench offer."""\n'
            "    model: referral; owner: vendor; commission: 20%; lead_protection: 90 days\n}\n"
            "internal economics { cogs: 5%; margin_floor: 90% }\n"
            'spiff launch { trigger: "above our COGS"; reward: $100; duration: 90 days }\n')
    _program, reporter = compile_text(text, "t.charter")
    found = sorted(d.code for d in reporter.sorted() if d.severity.value == "error")
    assert found == ["CH-E133", "CH-E134", "CH-P001"], reporter.sorted()
