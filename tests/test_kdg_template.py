"""The KDG template engine (helpers.kdg): syntax, every helper, moment formats, clocks, errors, templates.

Expected values come from KDG's sources (web/js/faker.js, producer.js, help.html)
and moment.js 2.17.1's documented token table, worked out by hand where noted.
"""

from __future__ import annotations

import calendar
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpers.errors import KitError
from helpers.kdg import (Generator, RealClock, SimClock, TemplateError, all_methods, compile_template,
                         list_templates, load_template, preview)
from helpers.kdg.jsvalue import js_number, js_string
from helpers.kdg.moment import format_date, js_date_string, ordinal
from helpers.kdg.providers import Arg

ROOT = Path(__file__).resolve().parent.parent
START = "2026-01-01T00:00:00Z"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
# Hypothesis runs the same examples every time: the statistical tests below cannot flake.
DETERMINISTIC = settings(derandomize=True, database=None, max_examples=60, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow])


def render(template: str, n: int = 1, seed: int = 1, rate: float = 100, tz: str = "UTC") -> list[str]:
    return list(Generator(compile_template(template), seed=seed, clock=SimClock(START, rate), tz=tz).records(n))


def one(template: str, **kwargs) -> str:
    return render(template, 1, **kwargs)[0]


def error_of(template: str) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        compile_template(template)
    return caught.value


# --- the registry: every method KDG's faker.js registers --------------------------------------

# From web/js/faker.js at awslabs/amazon-kinesis-data-generator@80b2ac3. commerce.categories and
# commerce.mergeCategories are commented out there, so KDG rejects them (Invalid method).
KDG_METHODS = {
    "address": "zipCode city cityPrefix citySuffix streetName streetAddress streetSuffix streetPrefix "
               "secondaryAddress county country countryCode state stateAbbr latitude longitude nearbyGPSCoordinate",
    "commerce": "color department productName price productAdjective productMaterial product",
    "company": "suffixes companyName companySuffix catchPhrase bs catchPhraseAdjective catchPhraseDescriptor "
               "catchPhraseNoun bsAdjective bsBuzz bsNoun",
    "date": "past future between recent month weekday now utc simTime",
    "finance": "account accountName mask amount transactionType currencyCode currencyName currencySymbol bitcoinAddress",
    "hacker": "abbreviation adjective noun verb ingverb phrase",
    "helpers": "randomize slugify replaceSymbolWithNumber replaceSymbols shuffle mustache createCard contextualCard "
               "userCard createTransaction",
    "image": "image avatar imageUrl abstract animals business cats city food nightlife fashion people nature sports "
             "technics transport",
    "internet": "avatar email exampleEmail session userName protocol url domainName domainSuffix domainWord ip "
                "userAgent color mac password",
    "lorem": "word words sentence sentences paragraph paragraphs text lines",
    "name": "firstName lastName findName jobTitle prefix suffix title jobDescriptor jobArea jobType",
    "phone": "phoneNumber phoneNumberFormat phoneFormats",
    "random": "number arrayElement weightedArrayElement objectElement uuid boolean word words image locale alphaNumeric",
    "system": "fileName commonFileName mimeType commonFileType commonFileExt fileType fileExt directoryPath filePath semver",
}
# Methods that cannot render without an argument (KDG renders "Invalid Date"; we refuse).
EXAMPLE_ARGS = {"date.between": '({"from":"2024-01-01","to":"2024-12-31"})'}


def test_registry_has_exactly_the_methods_of_kdgs_faker():
    registered = {m.qualified_name for m in all_methods()}
    expected = {f"{module}.{name}" for module, names in KDG_METHODS.items() for name in names.split()}
    assert registered == expected
    assert len(registered) == 142


@pytest.mark.parametrize("method", all_methods(), ids=lambda m: m.qualified_name)
def test_every_method_renders_its_documented_shape(method):
    template = "{{" + method.qualified_name + EXAMPLE_ARGS.get(method.qualified_name, "") + "}}"
    values = render(template, 40, seed=3)
    assert method.summary, "each method documents what it renders"
    for value in values:
        assert re.fullmatch(method.sample, value), f"{method.qualified_name} gave {value!r}"
    if method.sample not in ("", r".+", r"(?s).+") and method.qualified_name not in {"company.suffixes",
                                                                                      "image.imageUrl"}:
        assert len(set(values)) > 1 or method.module in ("image", "date"), "random methods vary"


def test_commerce_categories_is_rejected_as_in_kdg():
    assert "Invalid method: commerce.categories" in str(error_of("{{commerce.categories}}"))


# --- random.number ------------------------------------------------------------------------------

@DETERMINISTIC
@given(maximum=st.integers(0, 10**6), seed=st.integers(0, 2**32))
def test_random_number_n_is_an_integer_from_0_to_n(maximum, seed):
    for value in render(f"{{{{random.number({maximum})}}}}", 20, seed=seed):
        assert re.fullmatch(r"\d+", value) and 0 <= int(value) <= maximum


@pytest.mark.parametrize("maximum", [0, 1, 2, 5])
def test_random_number_includes_its_max(maximum):
    values = {int(v) for v in render(f"{{{{random.number({maximum})}}}}", 400)}
    assert values == set(range(maximum + 1))


def test_random_number_defaults_to_0_99999():
    values = [int(v) for v in render("{{random.number}}", 2000)]
    assert 0 <= min(values) and max(values) <= 99999 and max(values) > 90000


@DETERMINISTIC
@given(low=st.integers(-1000, 1000), span=st.integers(0, 1000),
       precision=st.sampled_from([1, 0.1, 0.01, 0.001, 0.5, 0.25, 5, 2.5]), seed=st.integers(0, 10**6))
def test_random_number_min_max_precision(low, span, precision, seed):
    high = low + span
    assume(math.ceil(low / precision - 1e-9) <= math.floor(high / precision + 1e-9))  # a grid point in range
    template = f'{{{{random.number({{"min":{low},"max":{high},"precision":{precision}}})}}}}'
    places = len(repr(precision).split(".")[1]) if isinstance(precision, float) and precision % 1 else 0
    for text in render(template, 25, seed=seed):
        value = float(text)
        assert low - 1e-9 <= value <= high + 1e-9
        assert abs(value / precision - round(value / precision)) < 1e-6, "on the precision grid"
        decimals = text.split(".")[1] if "." in text else ""
        assert len(decimals) <= places, f"clean decimals, not float noise: {text}"
        assert not text.endswith(".0"), "written as JavaScript writes numbers"


def test_random_number_precision_hits_both_ends_and_prints_like_javascript():
    values = render('{{random.number({"min":0,"max":1,"precision":0.5})}}', 300)
    assert set(values) == {"0", "0.5", "1"}
    values = render('{{random.number({"min":-1,"max":-0.5,"precision":0.25})}}', 300)
    assert set(values) == {"-1", "-0.75", "-0.5"}, "a negative max is included too"


def test_random_number_with_equal_min_and_max_is_constant():
    assert set(render('{{random.number({"min":7,"max":7})}}', 20)) == {"7"}


# --- arrayElement, weightedArrayElement, objectElement, uuid, boolean -----------------------------

_element = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="){}"), max_size=8)


@DETERMINISTIC
@given(items=st.lists(st.one_of(_element, st.integers(-99, 99), st.booleans()), min_size=1, max_size=6),
       seed=st.integers(0, 10**6))
def test_array_element_picks_members(items, seed):
    template = "{{random.arrayElement(" + json.dumps(items) + ")}}"
    allowed = {js_string(item) for item in items}
    for value in render(template, 20, seed=seed):
        assert value in allowed


def test_array_element_default_and_uniformity():
    counts = Counter(render("{{random.arrayElement}}", 6000))
    assert set(counts) == {"a", "b", "c"}
    assert all(abs(n - 2000) < 5 * (6000 * (1 / 3) * (2 / 3)) ** 0.5 for n in counts.values())


@DETERMINISTIC
@given(weights=st.lists(st.integers(0, 10), min_size=1, max_size=6).filter(lambda w: sum(w) > 0),
       seed=st.integers(0, 10**6))
def test_weighted_array_element_frequencies_follow_unnormalised_weights(weights, seed):
    data = [f"item{i}" for i in range(len(weights))]
    template = "{{random.weightedArrayElement(" + json.dumps({"weights": weights, "data": data}) + ")}}"
    n = 3000
    counts = Counter(render(template, n, seed=seed))
    total = sum(weights)
    for item, weight in zip(data, weights):
        p = weight / total
        if weight == 0:
            assert counts[item] == 0, "a zero weight is never chosen"
        else:
            # 6 standard deviations: seeded and derandomized, so this is a fixed check, not a flaky one.
            assert abs(counts[item] - n * p) <= 6 * (n * p * (1 - p)) ** 0.5 + 1


def test_weighted_array_element_help_example_and_default():
    counts = Counter(render(load_template("kdg_help_weighted"), 10000))
    assert set(counts) == {"cat", "fish", "dog"}
    assert abs(counts["cat"] / 10000 - 0.3) < 0.03 and abs(counts["dog"] / 10000 - 0.5) < 0.03
    assert set(render("{{random.weightedArrayElement}}", 200)) == {"dog", "cat"}


def test_object_element_picks_values():
    assert set(render('{{random.objectElement({"a":1,"b":"x"})}}', 100)) == {"1", "x"}


def test_uuid_is_rfc4122_version_4_and_unique():
    values = render("{{random.uuid}}", 2000)
    assert len(set(values)) == 2000
    pattern = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
    assert all(pattern.fullmatch(v) for v in values)
    import uuid

    assert all(uuid.UUID(v).version == 4 and uuid.UUID(v).variant == uuid.RFC_4122 for v in values[:50])


def test_boolean_is_javascripts_true_or_false():
    counts = Counter(render("{{random.boolean}}", 2000))
    assert set(counts) == {"true", "false"} and abs(counts["true"] - 1000) < 150


# --- other methods' semantics --------------------------------------------------------------------

@pytest.mark.parametrize("template, pattern", [
    ("{{finance.account(5)}}", r"\d{5}"),
    ("{{finance.mask(6)}}", r"\d{6}"),
    ("{{commerce.price(990)}}", r"99\d\.00|1000\.00"),
    ("{{lorem.words(4)}}", r"[a-z]+( [a-z]+){3}"),
    ("{{lorem.sentence(2)}}", r"[A-Z][a-z]* [a-z]+\."),
    ('{{address.zipCode("??-##")}}', r"[A-Z]{2}-\d{2}"),
    ('{{phone.phoneNumber("+49 ### ####")}}', r"\+49 \d{3} \d{4}"),
    ("{{phone.phoneNumberFormat(1)}}", r"\(\d{3}\) \d{3}-\d{4}"),
    ("{{address.streetAddress(true)}}", r"\d{3,5} .+ (Apt\.|Suite) \d{3}"),
    ("{{address.city(3)}}", r"[A-Z][A-Za-z' -]+[a-z]"),
    ("{{company.companyName(2)}}", r".+, .+ and .+"),
    ('{{internet.email("Ada")}}', r"Ada[\w.]*@(gmail\.com|yahoo\.com|hotmail\.com)"),
    ("{{internet.password(8)}}", r"\w{8}"),
    ("{{image.cats(200)}}", r"http://lorempixel\.com/200/480/cats"),
    ('{{date.month({"abbr":true})}}', r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"),
    ('{{date.weekday({"abbr":true})}}', r"Sun|Mon|Tue|Wed|Thu|Fri|Sat"),
    ('{{system.fileExt("image/png")}}', r"png"),
    ('{{system.commonFileName("csv")}}', r"\S+\.csv"),
    ('{{name.findName("Ada")}}', r"(\S+ )?Ada \S+( \S+)?"),
    ('{{helpers.replaceSymbols("??-###")}}', r"[A-Z]{2}-\d{3}"),
    ('{{helpers.replaceSymbolWithNumber("#-#")}}', r"\d-\d"),
    ('{{helpers.shuffle([1,2,3])}}', r"[123],[123],[123]"),
    ('{{address.nearbyGPSCoordinate({"coordinate":[52.52,13.4],"radius":5,"isMetric":true})}}',
     r"52\.\d{4},13\.\d{4}"),
])
def test_methods_with_arguments(template, pattern):
    for value in render(template, 30):
        assert re.fullmatch(pattern, value), value


def test_text_helpers_follow_faker_js():
    assert one('{{helpers.slugify("Hello World & you!")}}') == "Hello-World--you"
    assert one("{{helpers.slugify(raw text)}}") == "raw-text"
    assert one('{{helpers.mustache("unchanged {x}")}}') == "unchanged {x}"
    assert sorted(one("{{helpers.shuffle}}").split(",")) == ["a", "b", "c"]
    assert one("{{company.suffixes}}") == "Inc,and Sons,LLC,Group", "an array, written as JavaScript does"


def test_numeric_helpers_stay_in_their_ranges():
    for value in render("{{address.latitude}}|{{address.longitude}}|{{internet.ip}}|{{internet.color}}", 300):
        lat, lon, ip, color = value.split("|")
        assert -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180
        assert all(0 <= int(octet) <= 255 for octet in ip.split("."))
        assert all(int(color[i:i + 2], 16) <= 128 for i in (1, 3, 5)), "faker.js averages with base 0"
    for value in render("{{commerce.price}}|{{finance.amount}}|{{internet.session}}", 300):
        price, amount, session = value.split("|")
        assert price.endswith(".00") and 0 <= float(price) <= 1000 and amount.endswith(".00")
        assert 1007199254740991 <= float(session) < 9007199254740991


def _parse_js_date(text: str) -> datetime:
    return datetime.strptime(text[:33], "%a %b %d %Y %H:%M:%S GMT%z")


def test_past_future_recent_are_relative_to_the_records_instant():
    for value in render("{{date.past}}|{{date.future(2)}}|{{date.recent}}", 200):
        past, future, recent = map(_parse_js_date, value.split("|"))
        assert T0 - timedelta(days=365) <= past <= T0 - timedelta(seconds=1)
        assert T0 + timedelta(seconds=1) <= future <= T0 + timedelta(days=730)
        assert T0 - timedelta(days=1) <= recent < T0
    assert one("{{date.past}}").endswith("GMT+0000 (Coordinated Universal Time)")


def test_between_takes_a_from_to_object():
    for value in render('{{date.between({"from":"2024-03-01","to":"2024-03-02"})}}', 100):
        moment = _parse_js_date(value)
        assert datetime(2024, 3, 1, tzinfo=timezone.utc) <= moment <= datetime(2024, 3, 2, tzinfo=timezone.utc)


def test_cards_are_json_objects():
    card = json.loads(one("{{helpers.createCard}}"))
    assert {"name", "username", "email", "address", "phone", "website", "company", "posts", "accountHistory"} <= set(card)
    assert len(card["posts"]) == 3 and len(card["accountHistory"]) == 3
    transaction = json.loads(one("{{helpers.createTransaction}}"))
    assert transaction["date"] == "2012-02-02T00:00:00.000Z", "new Date(2012, 1, 2) at midnight, tz UTC"
    context = json.loads(one("{{helpers.contextualCard}}"))
    assert context["username"].startswith(context["name"]) and context["email"].startswith(context["username"].split(".")[0])


def test_arguments_kdg_ignores_are_accepted_with_a_warning():
    template = compile_template("{{random.uuid(5)}} {{name.firstName}}")
    assert len(template.warnings) == 1
    assert "line 1, column 1" in template.warnings[0] and "random.uuid takes no argument" in template.warnings[0]
    assert compile_template("{{random.uuid}}").warnings == ()


# --- argument parsing ------------------------------------------------------------------------------

def test_argument_is_json_or_else_raw_text():
    assert Arg.parse('{"max": 5}').value == {"max": 5} and Arg.parse('{"max": 5}').is_json
    assert Arg.parse(" 7 ").value == 7
    assert Arg.parse("YYYY-MM").value == "YYYY-MM" and not Arg.parse("YYYY-MM").is_json
    assert Arg.parse("NaN").value == "NaN" and not Arg.parse("NaN").is_json, "JSON.parse rejects NaN"
    assert not Arg.parse('""').given and Arg.parse('" "').given
    assert one("{{date.utc(YYYY)}}") == one('{{date.utc("YYYY")}}') == "2026"
    assert one('{{date.utc("")}}') == "2026-01-01T00:00:00Z", "an empty argument is no argument, as in KDG"


# --- cleaning: line breaks, trimming, current.timestamp --------------------------------------------

def test_line_breaks_are_removed_and_the_ends_trimmed():
    assert one("  \n a\nb{{random.number(0)}}\r\nc \r d\n\n ") == "ab0c  d"
    assert one("{{random.\nnumber(\n0\n)}}") == "0", "a placeholder may span lines"
    assert one(load_template("kdg_help_sensor")).startswith('{    "sensorId": ')


def test_first_current_timestamp_becomes_date_now():
    assert one("{{current.timestamp}}") == "2026-01-01T00:00:00+00:00" == one("{{date.now}}")
    assert one("{{current.timestamp}}", tz="America/Chicago") == "2025-12-31T18:00:00-06:00"
    error = error_of("{{current.timestamp}} {{current.timestamp}}")
    assert "only the first {{current.timestamp}}" in str(error) and error.column == 23


# --- reproducibility -------------------------------------------------------------------------------

def test_same_seed_and_clock_give_identical_records():
    text = load_template("sensor_fleet")
    assert render(text, 300, seed=42) == render(text, 300, seed=42)
    assert render(text, 50, seed=42) != render(text, 50, seed=43)
    assert render(text, 10, seed="alpha") == render(text, 10, seed="alpha")


def test_without_a_seed_runs_differ():
    template = compile_template("{{random.uuid}}")
    assert Generator(template).render() != Generator(template).render()


def test_output_does_not_depend_on_hash_seed_or_machine_time_zone():
    code = ("from helpers.kdg import *; g = Generator(compile_template(load_template('clickstream')), seed=5, "
            "clock=SimClock(), tz='Europe/Berlin'); print(g.render()); "
            "print(Generator('{{date.now}} {{date.past}} {{internet.userAgent}}', seed=5, clock=SimClock(), "
            "tz='Asia/Tokyo').render())")
    outputs = set()
    for hash_seed, zone in (("1", "UTC"), ("2", "America/Los_Angeles")):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, TZ=zone)
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                                check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1


# --- clocks and time zones -------------------------------------------------------------------------

def test_sim_clock_advances_one_over_rate_per_record():
    values = render('{{date.utc("HH:mm:ss.SSS")}}', 6, rate=4)
    assert values == ["00:00:00.000", "00:00:00.250", "00:00:00.500", "00:00:00.750", "00:00:01.000", "00:00:01.250"]
    assert render('{{date.utc("X")}}', 3, rate=0.5) == ["1767225600", "1767225602", "1767225604"]


def test_all_date_helpers_of_a_record_see_the_same_instant():
    for value in render('{{date.utc("x")}}|{{date.now("x")}}|{{date.simTime("x")}}|{{date.utc("x")}}', 20, rate=7):
        assert len(set(value.split("|"))) == 1


def test_sim_clock_interface():
    clock = SimClock(start="2026-01-01T01:00:00+01:00", rate=10)
    assert clock.now() == T0
    clock.advance(5)
    assert clock.now() == T0 + timedelta(seconds=0.5)
    assert clock.now(tz="Asia/Tokyo").isoformat() == "2026-01-01T09:00:00.500000+09:00"
    assert clock.tick() == T0 + timedelta(seconds=0.5) and clock.index == 6
    clock.reset()
    assert clock.now() == T0
    assert SimClock("2026-01-01T00:00:00").now() == T0, "a naive start is UTC"
    assert SimClock(datetime(2026, 1, 1)).now() == SimClock(1767225600).now() == T0
    far = SimClock(rate=3)
    far.advance(3 * 10**9)
    assert far.now() == T0 + timedelta(seconds=10**9), "no float drift"


@pytest.mark.parametrize("kwargs", [{"rate": 0}, {"rate": -1}, {"rate": float("nan")}, {"start": "yesterday"},
                                    {"start": None}])
def test_sim_clock_rejects_bad_arguments(kwargs):
    with pytest.raises(KitError):
        SimClock(**kwargs)


def test_real_clock_is_now():
    before = datetime.now(timezone.utc)
    value = Generator("{{date.utc(\"x\")}}", tz="UTC").render()
    assert before.timestamp() * 1000 - 1 <= int(value) <= datetime.now(timezone.utc).timestamp() * 1000 + 1
    assert abs(RealClock().now() - datetime.now(timezone.utc)) < timedelta(seconds=1)


def test_time_zones():
    assert one("{{date.now}}", tz="America/Chicago") == "2025-12-31T18:00:00-06:00"
    assert one("{{date.now}}", tz="+05:30") == "2026-01-01T05:30:00+05:30"
    assert one("{{date.utc}}", tz="Asia/Tokyo") == "2026-01-01T00:00:00Z", "date.utc ignores the zone"
    assert one("{{date.past}}", tz="Europe/Berlin").endswith("GMT+0100 (CET)")
    with pytest.raises(KitError, match="Unknown time zone"):
        Generator("{{date.now}}", tz="Mars/Olympus")


# --- moment.js formats -----------------------------------------------------------------------------

# Sunday 14 February 2010, 15:25:50.123 at UTC-5 (the moment docs' example day).
MOMENT_DAY = datetime(2010, 2, 14, 15, 25, 50, 123000, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize("fmt, expected", [
    ("dddd, MMMM Do YYYY, h:mm:ss a", "Sunday, February 14th 2010, 3:25:50 pm"),  # moment docs
    ("ddd, hA", "Sun, 3PM"),  # moment docs
    ("[Today is] dddd", "Today is Sunday"),  # moment docs
    (None, "2010-02-14T15:25:50-05:00"),  # defaultFormat YYYY-MM-DDTHH:mm:ssZ
    ("DD/MMM/YYYY:HH:mm:ss Z", "14/Feb/2010:15:25:50 -05:00"),
    ("Z ZZ", "-05:00 -0500"),
    ("M Mo MM MMM MMMM", "2 2nd 02 Feb February"),
    ("D Do DD DDD DDDD DDDo", "14 14th 14 45 045 45th"),  # 31 January days + 14
    ("d do dd ddd dddd e E", "0 0th Su Sun Sunday 0 7"),
    ("Q Qo", "1 1st"),
    ("H HH h hh k kk a A", "15 15 3 03 15 15 pm PM"),
    ("m mm s ss", "25 25 50 50"),
    ("S SS SSS SSSS SSSSSS", "1 12 123 1230 123000"),
    ("YY Y YYYY YYYYY YYYYYY", "10 2010 2010 02010 +002010"),
    ("YYY", "102010"),  # moment reads YY then Y
    ("w ww wo W WW Wo", "8 08 8th 6 06 6th"),  # en weeks start Sunday 27 Dec 2009; ISO week 1 starts Mon 4 Jan
    ("gg gggg GG GGGG", "10 2010 10 2010"),
    ("hmm hmmss Hmm Hmmss", "325 32550 1525 152550"),
    ("LT|LTS|L|LL|LLL|LLLL", "3:25 PM|3:25:50 PM|02/14/2010|February 14, 2010|February 14, 2010 3:25 PM|"
                             "Sunday, February 14, 2010 3:25 PM"),
    ("l|ll|lll|llll", "2/14/2010|Feb 14, 2010|Feb 14, 2010 3:25 PM|Sun, Feb 14, 2010 3:25 PM"),
    ("[YYYY] \\YYYY \\[x]", "YYYY YYYY [1266179150123]"),
    ("z|zz", "|"),  # moment without moment-timezone knows no local zone names
    ("YYYY\nMM", "201002"),  # JavaScript's "." does not match a line break: moment drops it
    ("X x", "1266179150 1266179150123"),
])
def test_moment_tokens(fmt, expected):
    assert format_date(MOMENT_DAY, fmt) == expected


@DETERMINISTIC
@given(fmt=st.text(max_size=30))
def test_any_format_string_compiles_to_text(fmt):
    """Formats come from users: whatever the text, compiling it yields a working formatter, never a SyntaxError."""
    for utc_mode in (False, True):
        assert isinstance(format_date(MOMENT_DAY, fmt, utc_mode), str)
    text = fmt.replace("[", "").replace("]", "")
    assert format_date(MOMENT_DAY, f"[{text}]") == text, "[escaped text] comes back verbatim"


def test_moment_utc_mode_and_unix_time():
    assert format_date(MOMENT_DAY, None, utc_mode=True) == "2010-02-14T20:25:50Z"
    assert format_date(MOMENT_DAY, "Z ZZ z zz", utc_mode=True) == "+00:00 +0000 UTC Coordinated Universal Time"
    assert calendar.timegm((2010, 2, 14, 20, 25, 50)) == 1266179150


@pytest.mark.parametrize("day, expected", [
    ((2021, 1, 1), "1 2021 53 2020"),  # Friday: en week 1 holds 1 January; ISO week 53 of 2020
    ((2016, 12, 31), "53 2016 52 2016"),
    ((2025, 12, 31), "1 2026 1 2026"),
    ((2026, 1, 4), "2 2026 1 2026"),  # Sunday starts en week 2; ISO weeks start on Monday
])
def test_moment_week_years(day, expected):
    assert format_date(datetime(*day, tzinfo=timezone.utc), "w gggg W GGGG") == expected


def test_ordinals_and_midnight():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th", "112th"]
    assert format_date(datetime(2026, 1, 1, tzinfo=timezone.utc), "k kk h A") == "24 24 12 AM"


def test_javascript_date_string():
    assert js_date_string(MOMENT_DAY).startswith("Sun Feb 14 2010 15:25:50 GMT-0500 (")
    assert js_date_string(T0) == "Thu Jan 01 2026 00:00:00 GMT+0000 (Coordinated Universal Time)"


@pytest.mark.parametrize("value, text", [
    (0.0, "0"), (-0.0, "0"), (3.0, "3"), (0.57, "0.57"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (1e-6, "0.000001"),
    (1e16, "10000000000000000"), (1e21, "1e+21"), (1.5e21, "1.5e+21"), (10**21, "1e+21"), (2**53, "9007199254740992"),
    (0.1 + 0.2, "0.30000000000000004"), (float("nan"), "NaN"), (float("-inf"), "-Infinity"),
])
def test_numbers_are_written_as_javascript_writes_them(value, text):
    assert js_number(value) == text


# --- errors: compile time, with position, one sentence ---------------------------------------------

@pytest.mark.parametrize("template, line, column, words", [
    ('{"a": 1,\n  "b": "{{foo.bar}}"}', 2, 9, ["unknown module 'foo'", "Invalid module: foo", "{{foo.bar}}"]),
    ("{{radnom.number}}", 1, 1, ["did you mean random?"]),
    ("x\n\n   {{random.numbr(5)}}", 3, 4, ["unknown method 'random.numbr'", "Invalid method: random.numbr",
                                          "did you mean random.number?"]),
    ("abc {{name.firstName", 1, 5, ["never closed"]),
    ("{{a.b {{name.firstName}}", 1, 1, ["not closed before the next '{{'"]),
    ('{"a": {"b": {"c": 1}}, "d": "{{name.firstName}}"}', 1, 20, ["closes no placeholder", "'} }'"]),
    ("{{random.number(abc)}}", 1, 1, ["random.number takes a number", "'abc'", "NaN"]),
    ('{{random.number("5")}}', 1, 1, ["random.number takes a number"]),
    ('{{random.number({"min":5,"max":1})}}', 1, 1, ["min 5 is greater than its max 1"]),
    ('{{random.number({"min":1,"max":2,"precision":0})}}', 1, 1, ["precision must be greater than 0"]),
    ('{{random.number({"mx":2})}}', 1, 1, ["'mx'"]),
    ('{{random.number({"min":0.2,"max":0.3,"precision":1})}}', 1, 1, ["no multiple of 1"]),
    ('{{random.weightedArrayElement({"weights":[1,2],"data":["a"]})}}', 1, 1, ["2 weights for 1 data elements"]),
    ('{{random.weightedArrayElement({"weights":[],"data":[]})}}', 1, 1, ["empty array"]),
    ('{{random.weightedArrayElement({"weights":[-1,2],"data":["a","b"]})}}', 1, 1, ["0 or more"]),
    ('{{random.weightedArrayElement({"weights":[0,0],"data":["a","b"]})}}', 1, 1, ["add up to 0"]),
    ('{{random.weightedArrayElement(["a","b"])}}', 1, 1, ['{"weights"']),
    ("{{random.arrayElement([])}}", 1, 1, ["empty array"]),
    ("{{random.arrayElement(OK,FAIL)}}", 1, 1, ["single character"]),
    ('{{random.arrayElement(["\\u007b\\u007bx.y}"])}}', 1, 1, ["re-read as a placeholder"]),
    ("{{random.number()}}", 1, 1, ["empty parentheses", "{{random.number}}"]),
    ('{{random.arrayElement([{"a":{"b":1}}])}}', 1, 1, ["cannot contain '}}'"]),
    ("{{ name.firstName }}", 1, 1, ["spaces around the name"]),
    ("{{name}}", 1, 1, ["not a module.method name"]),
    ("{{date.now.x}}", 1, 1, ["not a module.method name"]),
    ('{{date.now("(HH)")}}', 1, 1, ["cannot contain ')'"]),
    ('{{date.now("HH") }}', 1, 1, ["spaces after the argument"]),
    ("{{random.number (5)}}", 1, 1, ["spaces around the name"]),
    ("{{date.now(5)}}", 1, 1, ["date.now takes text"]),
    ("{{date.between}}", 1, 1, ["only one argument", "Invalid Date"]),
    ("{{{random.number(5)}}", 1, 1, ["a '{' before '{{'"]),
    ("{{finance.account(abc)}}", 1, 1, ["finance.account takes a whole number"]),
])
def test_bad_templates_fail_at_compile_time_with_position(template, line, column, words):
    error = error_of(template)
    message = str(error)
    assert isinstance(error, KitError)
    assert (error.line, error.column) == (line, column)
    assert message.startswith(f"Template line {line}, column {column}")
    for word in words:
        assert word in message
    assert "\n" not in message and message.endswith(".")


@pytest.mark.parametrize("template", ["", "   \n\t  \r\n"])
def test_empty_template_is_an_error(template):
    assert "empty" in str(error_of(template))


def test_json_after_the_last_placeholder_may_close_objects():
    assert one('{"a": {"b": "{{random.number(0)}}"}}') == '{"a": {"b": "0"}}'
    assert one('{"a": {"b": {{random.number(0)}}}}') == '{"a": {"b": 0}}'


# --- the template library --------------------------------------------------------------------------

def test_library_has_the_required_templates():
    names = list_templates()
    assert {"sensor_fleet", "clickstream", "stock_ticks", "kdg_help_csv", "kdg_help_sensor", "kdg_help_dates",
            "kdg_help_weighted"} <= set(names)
    assert "README" not in names


@pytest.mark.parametrize("name", list_templates())
def test_every_template_compiles_and_renders(name):
    template = compile_template(load_template(name))
    assert template.warnings == ()
    records = list(Generator(template, seed=11, clock=SimClock(START), tz="UTC").records(200))
    assert all(records)
    if (ROOT / "data_templates" / f"{name}.json").exists():
        assert all(isinstance(json.loads(record), dict) for record in records)


def test_sensor_fleet_records():
    records = [json.loads(r) for r in render(load_template("sensor_fleet"), 2000, seed=42)]
    assert list(records[0]) == ["event_id", "event_time", "device_id", "site", "sensor_type", "unit", "reading",
                                "battery_pct", "status"]
    assert records[1]["event_time"] == "2026-01-01T00:00:00.010Z"
    devices = {r["device_id"]: (r["site"], r["sensor_type"], r["unit"]) for r in records}
    assert len(devices) == 24, "a fixed fleet, every device seen"
    for r in records:
        assert devices[r["device_id"]] == (r["site"], r["sensor_type"], r["unit"]), "devices are consistent"
        assert 0 <= r["reading"] <= 100 and round(r["reading"], 2) == r["reading"]
        assert isinstance(r["battery_pct"], int) and 0 <= r["battery_pct"] <= 100
    status = Counter(r["status"] for r in records)
    assert status["OK"] > status["WARN"] > status["FAIL"] > 0


def test_help_csv_looks_like_the_help_page():
    for record in render(load_template("kdg_help_csv"), 50):
        first, last, age, ip = record.split(",")
        assert first and last and 0 <= int(age) <= 70 and len(ip.split(".")) == 4


def test_help_dates_render_the_help_pages_formats():
    record = one(load_template("kdg_help_dates"))
    assert "now=2026-01-01T00:00:00+00:00" in record and "now_long=Thursday, January 1st 2026, 12:00:00 am" in record
    assert "now_short=Thu, 12AM" in record and "utc_log=01/Jan/2026:00:00:00 +00:00" in record


def test_load_template_by_path_and_unknown_name(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("{{random.number(0)}}\n", encoding="utf-8")
    assert load_template(str(path)) == load_template(path) == "{{random.number(0)}}\n"
    assert load_template("sensor_fleet.json") == load_template("sensor_fleet")
    with pytest.raises(TemplateError) as caught:
        load_template("no_such_template")
    assert "sensor_fleet" in str(caught.value) and "no_such_template" in str(caught.value)


# --- the Generator API -----------------------------------------------------------------------------

def test_generator_api():
    generator = Generator(load_template("kdg_help_csv"), seed=1, clock=SimClock())
    record = generator.render()
    assert not record.endswith("\n"), "KDG's trailing newline is the sender's business"
    assert len(list(generator.records(5))) == 5 and generator.count == 6
    assert generator.fault_counts == {"clean": 6, "malformed_json": 0, "out_of_range": 0, "wrong_type": 0,
                                      "missing_field": 0, "duplicate": 0}
    assert generator.render_labelled()[1] == "clean"
    assert len(preview(load_template("sensor_fleet"), 3, seed=1)) == 3
    with pytest.raises(KitError):
        generator.records(-1)
    with pytest.raises(KitError):
        Generator(load_template("kdg_help_csv"), seed=1.5)
    with pytest.raises(KitError):
        Generator(load_template("kdg_help_csv"), clock="now")
