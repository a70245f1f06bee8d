"""The faker.js modules: name, address, phone, company, commerce, finance, hacker, lorem,
internet, image, system, and the ``helpers`` card generators.

Each entry binds to a ``JsFaker`` method (see ``jsfaker.py``), so values have
faker.js's shapes with English data from Python Faker or the kit's own lists.
KDG passes at most one argument, so a faker.js parameter list such as
``commerce.price(min, max, dec, symbol)`` only ever receives ``min``; the
summaries below say what that single argument means.

Deviations from KDG (where KDG renders an error marker, we render the evident
intent):

* ``helpers.createCard``, ``contextualCard``, ``userCard``, ``createTransaction``
  return objects, which KDG inserts as ``[object Object]``; we insert the
  object as compact JSON.
* ``system.directoryPath`` and ``system.filePath`` are unimplemented in
  faker.js (KDG inserts ``undefined``); we return a plausible path.
* ``address.nearbyGPSCoordinate`` without an argument throws in KDG; we use a
  random point and a 10-unit radius, faker.js's own defaults.
* The word lists differ from faker.js's (see ``wordlists.py``), and
  ``internet.userAgent`` comes from Python Faker.

Reproduced as KDG has them: ``address.streetPrefix`` is one of ``a``/``b``/``c``
(English faker.js has no street prefixes and falls back to that default);
``commerce.price``/``finance.amount`` are whole numbers with ``.00``;
``image.*`` URLs point at lorempixel.com; ``lorem.paragraphs`` and
``lorem.lines`` put line breaks inside the record.
"""

from __future__ import annotations

from typing import Any, Callable

from .jsfaker import JsFaker
from .jsvalue import js_json
from .providers import Arg, ArgumentError, Context, ignore, number_arg, register, string_arg
from .wordlists import PHONE_FORMATS

_NAME = r"[A-Z][A-Za-z' .-]+"
_TEXT = r".+"


def _simple(module: str, name: str, make: Callable[[JsFaker], Callable[[], str]], summary: str,
            sample: str = _TEXT) -> None:
    """Register a method that takes no argument and renders ``make(ctx.js)()``."""

    def bind(ctx: Context, arg: Arg) -> Callable[[], str]:
        ignore(ctx, arg, f"{module}.{name}")
        return make(ctx.js)

    bind.__doc__ = summary
    register(module, name, sample=sample)(bind)


def _truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value."""
    return value not in (False, 0, "", None) and value == value


def _first_name_arg(arg: Arg, name: str) -> str | None:
    return string_arg(arg, name, "a first name to build it from") or None


# --- name -----------------------------------------------------------------------------------
_simple("name", "firstName", lambda js: js.first_name, "A first name, e.g. Tamara.", _NAME)
_simple("name", "lastName", lambda js: js.last_name, "A last name, e.g. Okafor.", _NAME)
_simple("name", "prefix", lambda js: js.prefix, "Mr., Mrs., Ms., Miss or Dr.", r"Mr\.|Mrs\.|Ms\.|Miss|Dr\.")
_simple("name", "suffix", lambda js: js.suffix, "Jr., Sr., I … V, MD, DDS, PhD or DVM.", r"[A-Za-z.]+")
_simple("name", "jobTitle", lambda js: js.job_title, "Descriptor, area and job, e.g. Senior Data Engineer.",
        r"\w+ \w+ \w+")
_simple("name", "title", lambda js: js.job_title, "Same as name.jobTitle.", r"\w+ \w+ \w+")
_simple("name", "jobDescriptor", lambda js: js.job_descriptor, "E.g. Senior.", r"\w+")
_simple("name", "jobArea", lambda js: js.job_area, "E.g. Data.", r"\w+")
_simple("name", "jobType", lambda js: js.job_type, "E.g. Engineer.", r"\w+")


@register("name", "findName", sample=r"[A-Z][A-Za-z' .-]+ [A-Z][A-Za-z' .-]+")
def name_find_name(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A full name, sometimes with a prefix or suffix; ("Ada") uses that first name."""
    first = _first_name_arg(arg, "name.findName")
    js = ctx.js
    return lambda: js.find_name(first)


# --- address --------------------------------------------------------------------------------
_simple("address", "cityPrefix", lambda js: js.city_prefix, "North, East, West, South, New, Lake or Port.", r"\w+")
_simple("address", "citySuffix", lambda js: js.city_suffix, "E.g. ville, borough, haven.", r"\w+")
_simple("address", "streetName", lambda js: js.street_name, "A name and a street suffix, e.g. Okafor Avenue.", _TEXT)
_simple("address", "streetSuffix", lambda js: js.street_suffix, "E.g. Avenue, Crossing.", r"\w+")
_simple("address", "streetPrefix", lambda js: lambda: js.element("abc"),
        "a, b or c -- as in KDG, whose English data has no street prefixes.", r"[abc]")
_simple("address", "secondaryAddress", lambda js: js.secondary_address, "Apt. ### or Suite ###.",
        r"(Apt\.|Suite) \d{3}")
_simple("address", "county", lambda js: js.county, "A county, e.g. Berkshire.", r"\w+")
_simple("address", "country", lambda js: js.country, "A country name.", _TEXT)
_simple("address", "countryCode", lambda js: js.country_code, "An ISO 3166 alpha-2 code, e.g. FR.", r"[A-Z]{2}")
_simple("address", "stateAbbr", lambda js: js.state_abbr, "A US state abbreviation, e.g. OR.", r"[A-Z]{2}")
_simple("address", "latitude", lambda js: js.latitude, "-90.0000 to 90.0000, as text with 4 decimals.",
        r"-?\d{1,2}\.\d{4}")
_simple("address", "longitude", lambda js: js.longitude, "-180.0000 to 180.0000, as text with 4 decimals.",
        r"-?\d{1,3}\.\d{4}")


@register("address", "state", sample=r"[A-Z][A-Za-z ]+")
def address_state(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A US state name (faker.js ignores its useAbbr argument; so do we)."""
    ignore(ctx, arg, "address.state")
    return ctx.js.state


@register("address", "zipCode", sample=r"\d{5}(-\d{4})?")
def address_zip_code(ctx: Context, arg: Arg) -> Callable[[], str]:
    """##### or #####-####; ("??-####") uses that pattern: # is a digit, ? a capital letter."""
    pattern = string_arg(arg, "address.zipCode", "a pattern like \"#####\"")
    js = ctx.js
    return lambda: js.zip_code(pattern)


@register("address", "city", sample=_TEXT)
def address_city(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A city name in one of four shapes (e.g. Port Adamville, Smithton); (0…3) fixes the shape."""
    form = number_arg(arg, "address.city", "the shape 0-3", None, integer=True, minimum=0, maximum=3)
    js = ctx.js
    return lambda: js.city(form)


@register("address", "streetAddress", sample=r"\d{3,5} .+")
def address_street_address(ctx: Context, arg: Arg) -> Callable[[], str]:
    """3-5 digits and a street name; (true) adds an Apt./Suite."""
    full = _truthy(arg.value) if arg.given else False
    js = ctx.js
    return lambda: js.street_address(full)


@register("address", "nearbyGPSCoordinate", sample=r"-?\d{1,2}\.\d{4},-?\d{1,3}\.\d{4}")
def address_nearby_gps(ctx: Context, arg: Arg) -> Callable[[], str]:
    """'lat,lon' at a distance from a point: ({"coordinate":[lat,lon],"radius":10,"isMetric":true})."""
    options = arg.value if arg.given else {}
    if not isinstance(options, dict):
        raise ArgumentError(
            "address.nearbyGPSCoordinate takes {\"coordinate\":[lat,lon],\"radius\":10,\"isMetric\":true}, "
            f"not {arg.describe()}")
    coordinate = options.get("coordinate")
    if coordinate is not None and not (isinstance(coordinate, list) and len(coordinate) == 2
                                       and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coordinate)):
        raise ArgumentError(f"address.nearbyGPSCoordinate's coordinate must be [latitude, longitude], not {coordinate!r}")
    radius = options.get("radius") or 10.0
    if isinstance(radius, bool) or not isinstance(radius, (int, float)):
        raise ArgumentError(f"address.nearbyGPSCoordinate's radius must be a number, not {radius!r}")
    metric = _truthy(options.get("isMetric", False))
    point = tuple(coordinate) if coordinate else None
    js = ctx.js
    return lambda: js.nearby_gps(point, radius, metric)


# --- phone ----------------------------------------------------------------------------------
_simple("phone", "phoneFormats", lambda js: js.phone_format, "A phone pattern, e.g. (###) ###-####.", r"[-#(). 1x]+")


@register("phone", "phoneNumber", sample=r"[-\d(). x]+")
def phone_number(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A US-style phone number; ("+49 ### ####") fills that pattern's # with digits."""
    pattern = string_arg(arg, "phone.phoneNumber", "a pattern like \"###-###-####\"")
    js = ctx.js
    return lambda: js.phone_number(pattern)


@register("phone", "phoneNumberFormat", sample=r"\d{3}-\d{3}-\d{4}")
def phone_number_format(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A phone number in the format with that index (default 0: ###-###-####)."""
    index = number_arg(arg, "phone.phoneNumberFormat", "a format index", 0, integer=True, minimum=0,
                       maximum=len(PHONE_FORMATS) - 1)
    js = ctx.js
    return lambda: js.phone_number(PHONE_FORMATS[index])


# --- company --------------------------------------------------------------------------------
_simple("company", "suffixes", lambda js: lambda: "Inc,and Sons,LLC,Group",
        "The list of company suffixes, as JavaScript writes an array.", r"Inc,and Sons,LLC,Group")
_simple("company", "companySuffix", lambda js: js.company_suffix, "Inc, and Sons, LLC or Group.", r"Inc|and Sons|LLC|Group")
_simple("company", "catchPhrase", lambda js: js.catch_phrase, "E.g. Adaptive 24/7 algorithm.", _TEXT)
_simple("company", "bs", lambda js: js.bs, "E.g. value-added leverage synergies.", _TEXT)
_simple("company", "catchPhraseAdjective", lambda js: js.catch_phrase_adjective, "E.g. Adaptive.", r"\S+")
_simple("company", "catchPhraseDescriptor", lambda js: js.catch_phrase_descriptor, "E.g. 24/7.", _TEXT)
_simple("company", "catchPhraseNoun", lambda js: js.catch_phrase_noun, "E.g. algorithm.", _TEXT)
_simple("company", "bsAdjective", lambda js: js.bs_adjective, "E.g. value-added.", _TEXT)
_simple("company", "bsBuzz", lambda js: js.bs_buzz, "E.g. leverage.", _TEXT)
_simple("company", "bsNoun", lambda js: js.bs_noun, "E.g. synergies.", _TEXT)


@register("company", "companyName", sample=_TEXT)
def company_name(ctx: Context, arg: Arg) -> Callable[[], str]:
    """'Okafor LLC', 'Okafor - Smith' or 'Okafor, Smith and Lee'; (0…2) fixes the shape."""
    form = number_arg(arg, "company.companyName", "the shape 0-2", None, integer=True, minimum=0, maximum=2)
    js = ctx.js
    return lambda: js.company_name(form)


# --- commerce -------------------------------------------------------------------------------
_simple("commerce", "color", lambda js: js.color, "A colour name, e.g. teal.", r"[a-z]+")
_simple("commerce", "department", lambda js: js.department, "A shop department, e.g. Garden.", r"\w+")
_simple("commerce", "productName", lambda js: js.product_name, "E.g. Rustic Wooden Chair.", r"\w+ \w+ \w+")
_simple("commerce", "productAdjective", lambda js: js.product_adjective, "E.g. Rustic.", r"\w+")
_simple("commerce", "productMaterial", lambda js: js.product_material, "E.g. Wooden.", r"\w+")
_simple("commerce", "product", lambda js: js.product, "E.g. Chair.", r"\w+")


def _price_binder(name: str):
    """commerce.price and finance.amount: KDG's one argument is faker.js's ``min`` (max stays 1000)."""

    def bind(ctx: Context, arg: Arg) -> Callable[[], str]:
        minimum = number_arg(arg, name, "the minimum", 0, integer=True, minimum=0, maximum=1000)
        js = ctx.js
        return lambda: js.price(minimum)

    return bind


@register("commerce", "price", sample=r"\d{1,4}\.00")
def commerce_price(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A whole number of 0-1000 written with 2 decimals, e.g. 532.00; (N) sets the minimum."""
    return _price_binder("commerce.price")(ctx, arg)


# --- finance --------------------------------------------------------------------------------
_simple("finance", "accountName", lambda js: js.account_name, "E.g. Savings Account.", r"[\w ]+ Account")
_simple("finance", "transactionType", lambda js: js.transaction_type, "deposit, withdrawal, payment or invoice.",
        r"deposit|withdrawal|payment|invoice")
_simple("finance", "currencyCode", lambda js: js.currency_code, "An ISO 4217 code, e.g. EUR.", r"[A-Z]{3}")
_simple("finance", "currencyName", lambda js: js.currency_name, "E.g. Euro.", _TEXT)
_simple("finance", "currencySymbol", lambda js: js.currency_symbol, "E.g. €.", r"\S.*")
_simple("finance", "bitcoinAddress", lambda js: js.bitcoin_address, "1 or 3, then 26-33 capitals and digits.",
        r"[13][0-9A-Z]{26,33}")


@register("finance", "account", sample=r"\d{8}")
def finance_account(ctx: Context, arg: Arg) -> Callable[[], str]:
    """An account number of 8 digits; (N) digits."""
    length = number_arg(arg, "finance.account", "the number of digits", 8, integer=True, minimum=0, maximum=1000)
    js = ctx.js
    return lambda: js.account(length or 8)


@register("finance", "mask", sample=r"\d{4}")
def finance_mask(ctx: Context, arg: Arg) -> Callable[[], str]:
    """4 digits, the visible end of an account number; (N) digits."""
    length = number_arg(arg, "finance.mask", "the number of digits", 4, integer=True, minimum=0, maximum=1000)
    js = ctx.js
    return lambda: js.mask(length or 4)


@register("finance", "amount", sample=r"\d{1,4}\.00")
def finance_amount(ctx: Context, arg: Arg) -> Callable[[], str]:
    """Same as commerce.price: a whole number of 0-1000 with 2 decimals; (N) sets the minimum."""
    return _price_binder("finance.amount")(ctx, arg)


# --- hacker ---------------------------------------------------------------------------------
for _kind in ("abbreviation", "adjective", "noun", "verb", "ingverb"):
    _simple("hacker", _kind, lambda js, kind=_kind: lambda: js.hacker(kind), f"A hacker-jargon {_kind}.", _TEXT)
_simple("hacker", "phrase", lambda js: js.hacker_phrase, "A sentence of hacker jargon ending in '!'.", r".+!")


# --- lorem ----------------------------------------------------------------------------------
_simple("lorem", "word", lambda js: js.lorem_word, "A lorem-ipsum word.", r"[a-z]+")
_simple("lorem", "text", lambda js: js.lorem_text, "The output of a random lorem method.", r"(?s).+")


def _lorem(name: str, meaning: str, sample: str, summary: str, make) -> None:
    def bind(ctx: Context, arg: Arg) -> Callable[[], str]:
        count = number_arg(arg, f"lorem.{name}", meaning, None, integer=True, minimum=0, maximum=10_000)
        js = ctx.js
        return make(js, count)

    bind.__doc__ = summary
    register("lorem", name, sample=sample)(bind)


_lorem("words", "the number of words", r"[a-z]+ [a-z]+ [a-z]+", "3 lorem words; (N) words.",
       lambda js, n: (lambda: js.lorem_words(3 if n is None else n)))
_lorem("sentence", "the number of words", r"[A-Z][a-z ]+\.", "A sentence of 3-10 words; (N) words.",
       lambda js, n: (lambda: js.sentence(n)))
_lorem("sentences", "the number of sentences", r"[A-Za-z .]+\.", "2-6 sentences; (N) sentences.",
       lambda js, n: (lambda: js.sentences(n)))
_lorem("paragraph", "the base number of sentences", r"[A-Za-z .]+\.",
       "3-6 sentences; (N) gives N to N+3.", lambda js, n: (lambda: js.paragraph(3 if n is None else n)))
_lorem("paragraphs", "the number of paragraphs", r"(?s)[A-Za-z .\n\r]+\.",
       "3 paragraphs separated by a line break, a space and a carriage return (as faker.js); (N) paragraphs.",
       lambda js, n: (lambda: js.paragraphs(3 if n is None else n)))
_lorem("lines", "the number of lines", r"(?s)[A-Za-z .\n]+\.", "1-5 sentences on separate lines; (N) lines.",
       lambda js, n: (lambda: js.lines(n)))


# --- internet -------------------------------------------------------------------------------
_simple("internet", "avatar", lambda js: js.avatar, "An avatar image URL (s3.amazonaws.com/uifaces, as faker.js).",
        r"https://s3\.amazonaws\.com/uifaces/faces/twitter/\S+/128\.jpg")
_simple("internet", "session", lambda js: js.session,
        "KDG's addition: a random number from about 1e15 to 9e15, e.g. 4183412736417289.5.", r"\d{16}(\.\d+)?")
_simple("internet", "protocol", lambda js: js.protocol, "http or https.", r"https?")
_simple("internet", "url", lambda js: js.url, "E.g. https://tamara.org.", r"https?://[a-z]+\.[a-z]+")
_simple("internet", "domainName", lambda js: js.domain_name, "E.g. tamara.org.", r"[a-z]+\.[a-z]+")
_simple("internet", "domainSuffix", lambda js: js.domain_suffix, "com, biz, info, name, net or org.",
        r"com|biz|info|name|net|org")
_simple("internet", "domainWord", lambda js: js.domain_word, "A lowercase first name, e.g. tamara.", r"[a-z]+")
_simple("internet", "ip", lambda js: js.ip, "An IPv4 address, e.g. 97.238.241.11.", r"(\d{1,3}\.){3}\d{1,3}")
_simple("internet", "userAgent", lambda js: js.user_agent, "A browser user agent string (from Python Faker).",
        r"Mozilla/.+|Opera/.+")
_simple("internet", "mac", lambda js: js.mac, "A MAC address, e.g. 78:06:cc:ae:b3:81.", r"([0-9a-f]{2}:){5}[0-9a-f]{2}")


@register("internet", "email", sample=r"[\w.\-]+@(gmail\.com|yahoo\.com|hotmail\.com)")
def internet_email(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A user name at gmail.com, yahoo.com or hotmail.com; ("Ada") builds it from that first name."""
    first = _first_name_arg(arg, "internet.email")
    js = ctx.js
    return lambda: js.email(first)


@register("internet", "exampleEmail", sample=r"[\w.\-]+@example\.(org|com|net)")
def internet_example_email(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A user name at example.org/com/net; ("Ada") builds it from that first name."""
    first = _first_name_arg(arg, "internet.exampleEmail")
    js = ctx.js
    return lambda: js.example_email(first)


@register("internet", "userName", sample=r"[\w.]+")
def internet_user_name(ctx: Context, arg: Arg) -> Callable[[], str]:
    """E.g. Tamara42, Tamara.Okafor or Tamara_Okafor7; ("Ada") uses that first name."""
    first = _first_name_arg(arg, "internet.userName")
    js = ctx.js
    return lambda: js.user_name(first)


@register("internet", "color", sample=r"#[0-9a-f]{6}")
def internet_color(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A '#rrggbb' colour, each channel 0-128; (N) is the base red 0-255, which lightens the red channel."""
    red = number_arg(arg, "internet.color", "the base red", 0, integer=True, minimum=0, maximum=255)
    js = ctx.js
    return lambda: js.web_color(red)


@register("internet", "password", sample=r"\w{15}")
def internet_password(ctx: Context, arg: Arg) -> Callable[[], str]:
    """15 characters from letters, digits and _; (N) characters."""
    length = number_arg(arg, "internet.password", "the length", 15, integer=True, minimum=0, maximum=10_000)
    js = ctx.js
    return lambda: js.password(length or 15)


# --- image ----------------------------------------------------------------------------------
def _width_arg(arg: Arg, name: str) -> Any:
    if not arg.given:
        return None
    if isinstance(arg.value, (int, float, str)) and not isinstance(arg.value, bool):
        return arg.value if isinstance(arg.value, str) else int(arg.value)
    raise ArgumentError(f"{name} takes the width in pixels, not {arg.describe()}")


@register("image", "image", sample=r"http://lorempixel\.com/640/480/\w+")
def image_image(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A lorempixel.com URL of a random category, 640x480; (N) sets the width."""
    width = _width_arg(arg, "image.image")
    js = ctx.js
    return lambda: js.image(width)


@register("image", "imageUrl", sample=r"http://lorempixel\.com/640/480")
def image_image_url(ctx: Context, arg: Arg) -> Callable[[], str]:
    """http://lorempixel.com/640/480; (N) sets the width."""
    url = ctx.js.image_url(_width_arg(arg, "image.imageUrl"))
    return lambda: url


_simple("image", "avatar", lambda js: js.avatar, "Same as internet.avatar.",
        r"https://s3\.amazonaws\.com/uifaces/faces/twitter/\S+/128\.jpg")


def _register_image_category(category: str) -> None:
    def bind(ctx: Context, arg: Arg) -> Callable[[], str]:
        url = ctx.js.image_url(_width_arg(arg, f"image.{category}"), category)
        return lambda: url

    bind.__doc__ = f"http://lorempixel.com/640/480/{category}; (N) sets the width."
    register("image", category, sample=rf"http://lorempixel\.com/640/480/{category}")(bind)


for _category in ("abstract", "animals", "business", "cats", "city", "food", "nightlife", "fashion", "people",
                  "nature", "sports", "technics", "transport"):
    _register_image_category(_category)


# --- system ---------------------------------------------------------------------------------
_simple("system", "fileName", lambda js: js.file_name, "Random words joined by _, and an extension.", r"\S+\.\w+")
_simple("system", "mimeType", lambda js: js.mime_type, "A MIME type, e.g. image/png.", r"[\w.+-]+/[\w.+-]+")
_simple("system", "commonFileType", lambda js: js.common_file_type, "video, audio, image, text or application.",
        r"video|audio|image|text|application")
_simple("system", "commonFileExt", lambda js: js.common_file_ext, "E.g. pdf, mp3, png.", r"\w+")
_simple("system", "fileType", lambda js: js.file_type, "The first part of a MIME type, e.g. image.", r"[a-z]+")
_simple("system", "directoryPath", lambda js: js.directory_path,
        "A directory path, e.g. /var/log/dolor (faker.js leaves it unimplemented: KDG inserts 'undefined').",
        r"(/[\w.]+)+")
_simple("system", "filePath", lambda js: js.file_path,
        "A file path (faker.js leaves it unimplemented: KDG inserts 'undefined').", r"(/[^/]+)+")
_simple("system", "semver", lambda js: js.semver, "A version like 4.0.7.", r"\d\.\d\.\d")


@register("system", "commonFileName", sample=r"\S+\.\w+")
def system_common_file_name(ctx: Context, arg: Arg) -> Callable[[], str]:
    """Random words joined by _ and a common extension; ("csv") uses that extension."""
    ext = string_arg(arg, "system.commonFileName", "an extension like \"csv\"") or None
    js = ctx.js
    return lambda: js.common_file_name(ext)


@register("system", "fileExt", sample=r"\w+")
def system_file_ext(ctx: Context, arg: Arg) -> Callable[[], str]:
    """A file extension; ("image/png") one for that MIME type."""
    mime = string_arg(arg, "system.fileExt", "a MIME type like \"image/png\"") or None
    js = ctx.js
    return lambda: js.file_ext(mime)


# --- helpers: the card generators -----------------------------------------------------------
def _card(name: str, make: Callable[[JsFaker], Callable[[], dict]], summary: str) -> None:
    def bind(ctx: Context, arg: Arg) -> Callable[[], str]:
        ignore(ctx, arg, f"helpers.{name}")
        produce = make(ctx.js)
        return lambda: js_json(produce())

    bind.__doc__ = summary
    register("helpers", name, sample=r"\{.+\}")(bind)


_card("createCard", lambda js: js.create_card,
      "A person with address, company, posts and transactions, as compact JSON (KDG: [object Object]).")
_card("contextualCard", lambda js: js.contextual_card,
      "A person whose user name and e-mail match the name, as compact JSON (KDG: [object Object]).")
_card("userCard", lambda js: js.user_card, "A person with address and company, as compact JSON (KDG: [object Object]).")
_card("createTransaction", lambda js: js.transaction,
      "An account transaction, as compact JSON (KDG: [object Object]).")

del _kind, _category
