"""faker.js's compositions (names, addresses, e-mails, lorem …) over the generator's random stream.

Each method mirrors the faker.js function KDG calls -- same building blocks,
same choices, same output shape (``streetAddress`` is 3-5 digits and a street
name, ``userName`` is one of three patterns, ``price`` is a whole number with
``.00``) -- but draws from ``wordlists`` (Python Faker's en_US data where it
has the list) with the generator's own ``random.Random``, so output is
reproducible with a seed and cheap to make.
"""

from __future__ import annotations

import math
import random
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Callable

from . import wordlists as words
from .jsvalue import js_number

_DOMAIN_WORD_DROP = re.compile(r"[\\~#&*{}/:<>?|\"']")
_SLUG_DROP = re.compile(r"[^A-Za-z0-9_.\-]+")
_PASSWORD_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"  # JavaScript's \w
_ALPHANUMERIC = "0123456789abcdefghijklmnopqrstuvwxyz"
_SESSION_LOW = 1007199254740991  # KDG's internet.session: a float in [this, Number.MAX_SAFE_INTEGER)
_SESSION_SPAN = 9007199254740991 - _SESSION_LOW
_MS_PER_YEAR = 365 * 24 * 3600 * 1000


def slugify(text: str) -> str:
    """faker.js slugify: spaces to '-', then drop everything but ASCII letters, digits, '_', '.', '-'."""
    return _SLUG_DROP.sub("", text.replace(" ", "-"))


class JsFaker:
    """faker.js's methods, drawing from ``rng``; ``faker`` is a callable giving a seeded Python Faker."""

    def __init__(self, rng: random.Random, tz: tzinfo | None = None, faker: Callable[[], Any] | None = None):
        self.rnd = rng.random
        self.rng = rng
        self.tz = tz
        self._faker = faker

    # -- primitives -------------------------------------------------------------------------
    def number(self, maximum: int, minimum: int = 0) -> int:
        """faker.js random.number with whole-number bounds: uniform in [minimum, maximum]."""
        return minimum + int(self.rnd() * (maximum - minimum + 1))

    def element(self, items):
        return items[int(self.rnd() * len(items))]

    def digits(self, pattern: str) -> str:
        """helpers.replaceSymbolWithNumber: every '#' becomes a digit."""
        rnd = self.rnd
        return "".join("0123456789"[int(rnd() * 10)] if c == "#" else c for c in pattern)

    def symbols(self, pattern: str) -> str:
        """helpers.replaceSymbols: '#' becomes a digit, '?' a capital letter."""
        rnd = self.rnd
        out = []
        for c in pattern:
            if c == "#":
                c = "0123456789"[int(rnd() * 10)]
            elif c == "?":
                c = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(rnd() * 26)]
            out.append(c)
        return "".join(out)

    # -- name ---------------------------------------------------------------------------------
    def first_name(self) -> str:
        return self.element(words.FIRST_NAMES)

    def last_name(self) -> str:
        return self.element(words.LAST_NAMES)

    def prefix(self) -> str:
        return self.element(words.NAME_PREFIXES)

    def suffix(self) -> str:
        return self.element(words.NAME_SUFFIXES)

    def find_name(self, first: str | None = None) -> str:
        """'First Last', sometimes with a prefix (1 in 9) or a suffix (1 in 9)."""
        form = self.number(8)
        first = first or self.first_name()
        last = self.last_name()
        if form == 0:
            return f"{self.prefix()} {first} {last}"
        if form == 1:
            return f"{first} {last} {self.suffix()}"
        return f"{first} {last}"

    def job_descriptor(self) -> str:
        return self.element(words.JOB_DESCRIPTORS)

    def job_area(self) -> str:
        return self.element(words.JOB_AREAS)

    def job_type(self) -> str:
        return self.element(words.JOB_TYPES)

    def job_title(self) -> str:
        return f"{self.job_descriptor()} {self.job_area()} {self.job_type()}"

    # -- address ------------------------------------------------------------------------------
    def city_prefix(self) -> str:
        return self.element(words.CITY_PREFIXES)

    def city_suffix(self) -> str:
        return self.element(words.CITY_SUFFIXES)

    def city(self, form: int | None = None) -> str:
        """One of faker.js's four city shapes, e.g. 'Port Adamville', 'Smithton'."""
        if form is None:
            form = self.number(3)
        if form == 0:
            return f"{self.city_prefix()} {self.first_name()}{self.city_suffix()}"
        if form == 1:
            return f"{self.city_prefix()} {self.first_name()}"
        if form == 2:
            return f"{self.first_name()}{self.city_suffix()}"
        return f"{self.last_name()}{self.city_suffix()}"

    def street_suffix(self) -> str:
        return self.element(words.STREET_SUFFIXES)

    def street_name(self) -> str:
        suffix = " " + self.street_suffix()
        return (self.last_name() if self.number(1) == 0 else self.first_name()) + suffix

    def secondary_address(self) -> str:
        return self.digits(self.element(("Apt. ###", "Suite ###")))

    def street_address(self, full: bool = False) -> str:
        address = self.digits(("#####", "####", "###")[self.number(2)]) + " " + self.street_name()
        return f"{address} {self.secondary_address()}" if full else address

    def zip_code(self, pattern: str | None = None) -> str:
        return self.symbols(pattern if pattern is not None else self.element(("#####", "#####-####")))

    def county(self) -> str:
        return self.element(words.COUNTIES)

    def country(self) -> str:
        return self.element(words.COUNTRIES)

    def country_code(self) -> str:
        return self.element(words.COUNTRY_CODES)

    def state(self) -> str:
        return self.element(words.STATES)

    def state_abbr(self) -> str:
        return self.element(words.STATES_ABBR)

    def latitude(self) -> str:
        return f"{self.number(1_800_000) / 10000.0 - 90.0:.4f}"

    def longitude(self) -> str:
        return f"{self.number(3_600_000) / 10000.0 - 180.0:.4f}"

    def nearby_gps(self, coordinate: tuple[float, float] | None, radius: float, metric: bool) -> str:
        """A point at ``radius`` from ``coordinate`` in a random direction, as 'lat,lon' with 4 decimals.

        Reproduces faker.js, including its unit slip: without ``isMetric`` the
        radius is multiplied by 0.621371 (km -> miles) and then used as km.
        """
        if coordinate is None:
            coordinate = (float(self.latitude()), float(self.longitude()))
        earth_km = 6378.137
        distance = radius if metric else radius * 0.621371
        bearing = math.radians(self.rnd() * 360.0)
        lat1, lon1 = math.radians(coordinate[0]), math.radians(coordinate[1])
        angular = distance / earth_km
        lat2 = math.asin(math.sin(lat1) * math.cos(angular) + math.cos(lat1) * math.sin(angular) * math.cos(bearing))
        lon2 = lon1 + math.atan2(math.sin(bearing) * math.sin(angular) * math.cos(lat1),
                                 math.cos(angular) - math.sin(lat1) * math.sin(lat2))
        if lon2 > math.pi:
            lon2 -= 2 * math.pi
        elif lon2 < -math.pi:
            lon2 += 2 * math.pi
        return f"{math.degrees(lat2):.4f},{math.degrees(lon2):.4f}"

    # -- phone ----------------------------------------------------------------------------------
    def phone_format(self) -> str:
        return self.element(words.PHONE_FORMATS)

    def phone_number(self, pattern: str | None = None) -> str:
        return self.digits(pattern if pattern is not None else self.phone_format())

    # -- company --------------------------------------------------------------------------------
    def company_suffix(self) -> str:
        return self.element(words.COMPANY_SUFFIXES)

    def company_name(self, form: int | None = None) -> str:
        if form is None:
            form = self.number(2)
        if form == 0:
            return f"{self.last_name()} {self.company_suffix()}"
        if form == 1:
            return f"{self.last_name()} - {self.last_name()}"
        return f"{self.last_name()}, {self.last_name()} and {self.last_name()}"

    def catch_phrase_adjective(self) -> str:
        return self.element(words.CATCH_PHRASE_ADJECTIVES)

    def catch_phrase_descriptor(self) -> str:
        return self.element(words.CATCH_PHRASE_DESCRIPTORS)

    def catch_phrase_noun(self) -> str:
        return self.element(words.CATCH_PHRASE_NOUNS)

    def catch_phrase(self) -> str:
        return f"{self.catch_phrase_adjective()} {self.catch_phrase_descriptor()} {self.catch_phrase_noun()}"

    def bs_adjective(self) -> str:
        return self.element(words.BS_ADJECTIVES)

    def bs_buzz(self) -> str:
        return self.element(words.BS_VERBS)

    def bs_noun(self) -> str:
        return self.element(words.BS_NOUNS)

    def bs(self) -> str:
        # faker.js's order: adjective, verb, noun ("clicks-and-mortar implement synergies").
        return f"{self.bs_adjective()} {self.bs_buzz()} {self.bs_noun()}"

    # -- commerce -------------------------------------------------------------------------------
    def color(self) -> str:
        return self.element(words.COLORS)

    def department(self) -> str:
        return self.element(words.DEPARTMENTS)

    def product_adjective(self) -> str:
        return self.element(words.PRODUCT_ADJECTIVES)

    def product_material(self) -> str:
        return self.element(words.PRODUCT_MATERIALS)

    def product(self) -> str:
        return self.element(words.PRODUCTS)

    def product_name(self) -> str:
        return f"{self.product_adjective()} {self.product_material()} {self.product()}"

    def price(self, minimum: int = 0, maximum: int = 1000) -> str:
        """faker.js price/amount: a whole number in [min, max] written with 2 decimals ('532.00')."""
        return f"{self.number(maximum, minimum)}.00"

    # -- finance --------------------------------------------------------------------------------
    def account(self, length: int = 8) -> str:
        return self.digits("#" * length)

    def account_name(self) -> str:
        return f"{self.element(words.ACCOUNT_TYPES)} Account"

    def mask(self, length: int = 4) -> str:
        return self.digits("#" * length)

    def transaction_type(self) -> str:
        return self.element(words.TRANSACTION_TYPES)

    def currency_code(self) -> str:
        return self.element(words.CURRENCIES)[0]

    def currency_name(self) -> str:
        return self.element(words.CURRENCIES)[1]

    def currency_symbol(self) -> str:
        while True:  # as faker.js: pick again until the currency has a symbol
            symbol = words.CURRENCY_SYMBOLS.get(self.element(words.CURRENCIES)[0])
            if symbol:
                return symbol

    def bitcoin_address(self) -> str:
        length = self.number(34, 27)
        head = self.element("13")
        return head + "".join(self.element(_ALPHANUMERIC).upper() for _ in range(length - 1))

    # -- hacker ---------------------------------------------------------------------------------
    def hacker(self, kind: str) -> str:
        lists = {"abbreviation": words.HACKER_ABBREVIATIONS, "adjective": words.HACKER_ADJECTIVES,
                 "noun": words.HACKER_NOUNS, "verb": words.HACKER_VERBS, "ingverb": words.HACKER_INGVERBS}
        return self.element(lists[kind])

    def hacker_phrase(self) -> str:
        phrase = self.element(words.HACKER_PHRASES)
        # Every slot gets a fresh word, as faker.js's mustache calls the function per match.
        text = re.sub(r"\{(\w+)\}", lambda m: self.hacker(m.group(1)), phrase)
        return text[0].upper() + text[1:]

    # -- lorem ----------------------------------------------------------------------------------
    def lorem_word(self) -> str:
        return self.element(words.LOREM_WORDS)

    def lorem_words(self, count: int = 3) -> str:
        return " ".join(self.lorem_word() for _ in range(count))

    def sentence(self, count: int | None = None) -> str:
        text = self.lorem_words(self.number(10, 3) if count is None else count)
        return text[:1].upper() + text[1:] + "."

    def sentences(self, count: int | None = None, separator: str = " ") -> str:
        count = self.number(6, 2) if count is None else count
        return separator.join(self.sentence() for _ in range(count))

    def paragraph(self, count: int = 3) -> str:
        return self.sentences(count + self.number(3))

    def paragraphs(self, count: int = 3, separator: str = "\n \r") -> str:
        return separator.join(self.paragraph() for _ in range(count))

    def lines(self, count: int | None = None) -> str:
        return self.sentences(self.number(5, 1) if count is None else count, "\n")

    def lorem_text(self) -> str:
        """faker.js lorem.text: the output of a random lorem method."""
        choice = self.number(6)
        return (self.lorem_word, self.lorem_words, self.sentence, self.sentences, self.paragraph,
                self.paragraphs, self.lines)[choice]()

    # -- internet -------------------------------------------------------------------------------
    def user_name(self, first: str | None = None) -> str:
        first = first or self.first_name()
        last = self.last_name()
        form = self.number(2)
        if form == 0:
            name = f"{first}{self.number(99)}"
        elif form == 1:
            name = f"{first}{self.element('._')}{last}"
        else:
            name = f"{first}{self.element('._')}{last}{self.number(99)}"
        return name.replace("'", "").replace(" ", "")

    def email(self, first: str | None = None, provider: str | None = None) -> str:
        provider = provider or self.element(words.FREE_EMAIL_DOMAINS)
        return f"{slugify(self.user_name(first))}@{provider}"

    def example_email(self, first: str | None = None) -> str:
        return self.email(first, self.element(words.EXAMPLE_EMAIL_DOMAINS))

    def avatar(self) -> str:
        handle = f"{self.first_name()}{self.last_name()}".lower()
        return f"https://s3.amazonaws.com/uifaces/faces/twitter/{handle}/128.jpg"

    def session(self) -> str:
        return js_number(self.rnd() * _SESSION_SPAN + _SESSION_LOW)

    def protocol(self) -> str:
        return self.element(("http", "https"))

    def domain_word(self) -> str:
        return _DOMAIN_WORD_DROP.sub("", self.first_name()).lower()

    def domain_suffix(self) -> str:
        return self.element(words.DOMAIN_SUFFIXES)

    def domain_name(self) -> str:
        return f"{self.domain_word()}.{self.domain_suffix()}"

    def url(self) -> str:
        return f"{self.protocol()}://{self.domain_name()}"

    def ip(self) -> str:
        number = self.number
        return f"{number(255)}.{number(255)}.{number(255)}.{number(255)}"

    def user_agent(self) -> str:
        return self._faker().user_agent()

    def web_color(self, red: int = 0, green: int = 0, blue: int = 0) -> str:
        """'#rrggbb', each channel the mean of a random 0-256 and the base (faker.js's pastel trick)."""
        channels = ((self.number(256) + base) // 2 for base in (red, green, blue))
        return "#" + "".join(f"{channel:02x}" for channel in channels)

    def mac(self) -> str:
        pairs = ("".join("0123456789abcdef"[self.number(15)] for _ in range(2)) for _ in range(6))
        return ":".join(pairs)

    def password(self, length: int = 15) -> str:
        return "".join(self.element(_PASSWORD_CHARS) for _ in range(length))

    # -- image ----------------------------------------------------------------------------------
    def image_url(self, width: Any = None, category: str | None = None) -> str:
        url = f"http://lorempixel.com/{width or 640}/480"
        return f"{url}/{category}" if category else url

    def image(self, width: Any = None) -> str:
        return self.image_url(width, self.element(words.IMAGE_CATEGORIES))

    # -- random.word (faker.js picks a word-like method, then calls it) ---------------------------
    def random_word(self) -> str:
        return self.element(self._word_methods())()

    def random_words(self, count: int | None = None) -> str:
        count = self.number(3, 1) if count is None else count
        return " ".join(self.random_word() for _ in range(count))

    def _word_methods(self) -> tuple[Callable[[], str], ...]:
        return (self.department, self.product_name, self.product_adjective, self.product_material, self.product,
                self.color, self.catch_phrase_adjective, self.catch_phrase_descriptor, self.catch_phrase_noun,
                self.bs_adjective, self.bs_buzz, self.bs_noun, self.street_suffix, self.county, self.country,
                self.state, self.account_name, self.transaction_type, self.currency_name,
                lambda: self.hacker("noun"), lambda: self.hacker("verb"), lambda: self.hacker("adjective"),
                lambda: self.hacker("ingverb"), lambda: self.hacker("abbreviation"), self.job_descriptor,
                self.job_area, self.job_type)

    # -- system ---------------------------------------------------------------------------------
    def mime_type(self) -> str:
        return self.element(words.MIME_TYPES)

    def file_type(self) -> str:
        return self.element(tuple(dict.fromkeys(mime.split("/")[0] for mime in words.MIME_TYPES)))

    def file_ext(self, mime: str | None = None) -> str:
        if mime in words.MIME_EXTENSIONS:
            return self.element(words.MIME_EXTENSIONS[mime])
        return self.element(tuple(ext for exts in words.MIME_EXTENSIONS.values() for ext in exts))

    def common_file_type(self) -> str:
        return self.element(words.COMMON_FILE_TYPES)

    def common_file_ext(self) -> str:
        return self.file_ext(self.element(words.COMMON_MIME_TYPES))

    @staticmethod
    def _file_safe(text: str) -> str:
        return re.sub(r"[ ,\-\\]", "_", text).lower()

    def file_name(self) -> str:
        return self._file_safe(f"{self.random_words()}.{self.file_ext()}")

    def common_file_name(self, ext: str | None = None) -> str:
        return self._file_safe(f"{self.random_words()}.{ext or self.common_file_ext()}")

    def directory_path(self) -> str:
        return f"{self.element(words.DIRECTORIES)}/{self.lorem_word()}"

    def file_path(self) -> str:
        return f"{self.directory_path()}/{self.file_name()}"

    def semver(self) -> str:
        return f"{self.number(9)}.{self.number(9)}.{self.number(9)}"

    # -- dates and cards ------------------------------------------------------------------------
    def past(self, reference: datetime, years: float = 1) -> datetime:
        """faker.js date.past: 1 s to ``years`` years before ``reference`` (milliseconds, uniform)."""
        return reference - timedelta(milliseconds=self.number(int(years * _MS_PER_YEAR), 1000))

    def local_midnight(self, year: int, month: int, day: int) -> datetime:
        """``new Date(year, month - 1, day)``: midnight in the generator's zone, as an aware datetime."""
        if self.tz is None:
            return datetime(year, month, day).astimezone()
        return datetime(year, month, day, tzinfo=self.tz)

    def transaction(self) -> dict:
        return {
            "amount": self.price(),
            "date": self.local_midnight(2012, 2, 2),  # faker.js's fixed date (a TODO there)
            "business": self.company_name(),
            "name": f"{self.account_name()} {self.mask()}",
            "type": self.transaction_type(),
            "account": self.account(),
        }

    def _address_card(self) -> dict:
        return {"street": self.street_name(), "suite": self.secondary_address(), "city": self.city(),
                "zipcode": self.zip_code(), "geo": {"lat": self.latitude(), "lng": self.longitude()}}

    def _company_card(self) -> dict:
        return {"name": self.company_name(), "catchPhrase": self.catch_phrase(), "bs": self.bs()}

    def user_card(self) -> dict:
        return {"name": self.find_name(), "username": self.user_name(), "email": self.email(),
                "address": self._address_card(), "phone": self.phone_number(), "website": self.domain_name(),
                "company": self._company_card()}

    def contextual_card(self) -> dict:
        name = self.first_name()
        user = self.user_name(name)
        born_reference = datetime(1992, 9, 20, 19, 35, 2, tzinfo=timezone.utc)  # faker.js's fixed reference
        return {"name": name, "username": user, "avatar": self.avatar(), "email": self.email(user),
                "dob": self.past(born_reference, 50), "phone": self.phone_number(),
                "address": self._address_card(), "website": self.domain_name(), "company": self._company_card()}

    def create_card(self) -> dict:
        post = lambda: {"words": self.lorem_words(), "sentence": self.sentence(),  # noqa: E731
                        "sentences": self.sentences(), "paragraph": self.paragraph()}
        return {
            "name": self.find_name(), "username": self.user_name(), "email": self.email(),
            "address": {"streetA": self.street_name(), "streetB": self.street_address(),
                        "streetC": self.street_address(True), "streetD": self.secondary_address(),
                        "city": self.city(), "state": self.state(), "country": self.country(),
                        "zipcode": self.zip_code(), "geo": {"lat": self.latitude(), "lng": self.longitude()}},
            "phone": self.phone_number(), "website": self.domain_name(), "company": self._company_card(),
            "posts": [post(), post(), post()],
            "accountHistory": [self.transaction(), self.transaction(), self.transaction()],
        }
