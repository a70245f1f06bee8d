"""Word lists behind the faker.js-style methods (English).

Where Python Faker's ``en_US`` data has the list faker.js uses (first and last
names, city prefixes and suffixes, street suffixes, states, countries, company
suffixes, catch-phrase and bs words, lorem words, currencies, e-mail domains)
we take it from Faker, read once at import. faker.js picks list items
uniformly, so we use the names only and ignore Faker's frequency weights
(which also makes a pick ~100x cheaper than ``Faker().first_name()``).

Lists Faker lacks (hacker jargon, product names, job-title parts, account and
transaction types, departments, UK counties, phone formats) are short lists
written for this kit in the same spirit; they are not faker.js's lists, so
values differ from KDG's while looking alike.
"""

from __future__ import annotations

from faker.providers.address import Provider as _Address
from faker.providers.address.en import Provider as _AddressEn
from faker.providers.address.en_US import Provider as _AddressUS
from faker.providers.color import Provider as _Color
from faker.providers.company import Provider as _Company
from faker.providers.currency import Provider as _Currency
from faker.providers.file import Provider as _File
from faker.providers.internet import Provider as _Internet
from faker.providers.lorem.la import Provider as _LoremLatin
from faker.providers.person.en_US import Provider as _PersonUS


def _unique(items) -> tuple[str, ...]:
    """Items in first-seen order without repeats (Faker repeats some to weight them)."""
    return tuple(dict.fromkeys(items))


# --- from Python Faker (en_US) -------------------------------------------------------
FIRST_NAMES = _unique(_PersonUS.first_names)
LAST_NAMES = _unique(_PersonUS.last_names)
NAME_PREFIXES = _unique([*_PersonUS.prefixes_male, *_PersonUS.prefixes_female])
NAME_SUFFIXES = ("Jr.", "Sr.", "I", "II", "III", "IV", "V", "MD", "DDS", "PhD", "DVM")
CITY_PREFIXES = _unique(_AddressUS.city_prefixes)
CITY_SUFFIXES = _unique(_AddressUS.city_suffixes)
STREET_SUFFIXES = _unique(_AddressUS.street_suffixes)
STATES = _unique(_AddressUS.states)
STATES_ABBR = _unique(_AddressUS.states_abbr)
COUNTRIES = _unique(_AddressEn.countries)
COUNTRY_CODES = _unique(_Address.alpha_2_country_codes)
COMPANY_SUFFIXES = ("Inc", "and Sons", "LLC", "Group")  # faker.js's English four (Faker adds PLC, Ltd)
CATCH_PHRASE_ADJECTIVES, CATCH_PHRASE_DESCRIPTORS, CATCH_PHRASE_NOUNS = (
    _unique(words) for words in _Company.catch_phrase_words
)
BS_VERBS, BS_ADJECTIVES, BS_NOUNS = (_unique(words) for words in _Company.bsWords)
LOREM_WORDS = _unique(_LoremLatin.word_list)
CURRENCIES = tuple(_Currency.currencies)  # (code, name)
CURRENCY_SYMBOLS = dict(_Currency.currency_symbols)
FREE_EMAIL_DOMAINS = _unique(_Internet.free_email_domains)
EXAMPLE_EMAIL_DOMAINS = _unique(_Internet.safe_domain_names)
COLORS = _unique(_Color.safe_colors)
MIME_TYPES = _unique(mime for group in _File.mime_types.values() for mime in group)

# --- written for this kit --------------------------------------------------------------
DOMAIN_SUFFIXES = ("com", "biz", "info", "name", "net", "org")
COUNTIES = (
    "Bedfordshire", "Berkshire", "Buckinghamshire", "Cambridgeshire", "Cheshire", "Cornwall", "Cumbria",
    "Derbyshire", "Devon", "Dorset", "Durham", "Essex", "Gloucestershire", "Hampshire", "Herefordshire",
    "Hertfordshire", "Kent", "Lancashire", "Leicestershire", "Lincolnshire", "Norfolk", "Northamptonshire",
    "Northumberland", "Nottinghamshire", "Oxfordshire", "Rutland", "Shropshire", "Somerset", "Staffordshire",
    "Suffolk", "Surrey", "Warwickshire", "Wiltshire", "Worcestershire", "Yorkshire",
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

JOB_DESCRIPTORS = ("Lead", "Senior", "Junior", "Principal", "Chief", "Global", "Regional", "National",
                   "District", "Corporate", "Central", "Dynamic", "Internal", "International", "Customer",
                   "Product", "Future", "Legacy", "Direct", "Forward")
JOB_AREAS = ("Solutions", "Program", "Brand", "Security", "Research", "Marketing", "Operations",
             "Infrastructure", "Integration", "Analytics", "Data", "Quality", "Mobility", "Accounts",
             "Creative", "Configuration", "Communications", "Usability", "Metrics", "Applications",
             "Markets", "Identity", "Response", "Optimization", "Web")
JOB_TYPES = ("Engineer", "Manager", "Director", "Specialist", "Analyst", "Architect", "Consultant",
             "Coordinator", "Administrator", "Designer", "Developer", "Planner", "Officer", "Associate",
             "Supervisor", "Strategist", "Technician", "Producer", "Agent", "Liaison", "Executive",
             "Facilitator", "Representative", "Assistant", "Orchestrator")

DEPARTMENTS = ("Books", "Movies", "Music", "Games", "Electronics", "Computers", "Home", "Garden", "Tools",
               "Grocery", "Health", "Beauty", "Toys", "Kids", "Baby", "Clothing", "Shoes", "Jewelry",
               "Sports", "Outdoors", "Automotive", "Industrial")
PRODUCT_ADJECTIVES = ("Small", "Ergonomic", "Rustic", "Intelligent", "Gorgeous", "Incredible", "Fantastic",
                      "Practical", "Sleek", "Awesome", "Generic", "Handcrafted", "Handmade", "Licensed",
                      "Refined", "Unbranded", "Tasty", "Compact", "Durable", "Lightweight")
PRODUCT_MATERIALS = ("Steel", "Wooden", "Concrete", "Plastic", "Cotton", "Granite", "Rubber", "Metal",
                     "Soft", "Fresh", "Frozen", "Bamboo", "Ceramic", "Leather", "Glass", "Wool")
PRODUCTS = ("Chair", "Car", "Computer", "Keyboard", "Mouse", "Bike", "Ball", "Gloves", "Pants", "Shirt",
            "Table", "Shoes", "Hat", "Towels", "Soap", "Tuna", "Chicken", "Fish", "Cheese", "Bacon",
            "Pizza", "Salad", "Sausages", "Chips", "Lamp", "Backpack", "Kettle", "Watch")

ACCOUNT_TYPES = ("Checking", "Savings", "Money Market", "Investment", "Home Loan", "Credit Card",
                 "Auto Loan", "Personal Loan")
TRANSACTION_TYPES = ("deposit", "withdrawal", "payment", "invoice")

HACKER_ABBREVIATIONS = ("TCP", "HTTP", "SDD", "RAM", "GB", "CSS", "SSL", "SQL", "FTP", "PCI", "AI", "RSS",
                        "XML", "EXE", "HDD", "SMTP", "SMS", "USB", "PNG", "SCSI", "JSON", "API", "DNS",
                        "CPU", "GPU", "VPN", "IP")
HACKER_ADJECTIVES = ("auxiliary", "primary", "back-end", "digital", "open-source", "virtual", "cross-platform",
                     "redundant", "online", "haptic", "multi-byte", "bluetooth", "wireless", "1080p",
                     "neural", "optical", "solid state", "mobile", "distributed", "encrypted")
HACKER_NOUNS = ("driver", "protocol", "bandwidth", "panel", "microchip", "program", "port", "card", "array",
                "interface", "system", "sensor", "firewall", "hard drive", "pixel", "alarm", "feed",
                "monitor", "application", "transmitter", "bus", "circuit", "capacitor", "matrix",
                "cluster", "pipeline")
HACKER_VERBS = ("back up", "bypass", "hack", "override", "compress", "copy", "navigate", "index", "connect",
                "generate", "quantify", "calculate", "synthesize", "input", "transmit", "program", "reboot",
                "parse", "deploy", "encrypt")
HACKER_INGVERBS = ("backing up", "bypassing", "hacking", "overriding", "compressing", "copying", "navigating",
                   "indexing", "connecting", "generating", "quantifying", "calculating", "synthesizing",
                   "transmitting", "programming", "parsing", "deploying", "encrypting")
# Phrases for hacker.phrase; each {slot} gets its own fresh word, as in faker.js.
HACKER_PHRASES = (
    "Try to {verb} the {abbreviation} {noun}, then the {adjective} {noun} will follow!",
    "We have to {verb} the {adjective} {abbreviation} {noun} before lunch!",
    "{ingverb} the {noun} is pointless until we {verb} the {adjective} {noun}!",
    "The {abbreviation} {noun} is down, so {verb} the {adjective} {noun} instead!",
    "If you {verb} the {noun}, the {abbreviation} {noun} stays {adjective}!",
    "Nobody can {verb} the {noun} without {ingverb} the {adjective} {abbreviation} {noun}!",
)

PHONE_FORMATS = (
    "###-###-####", "(###) ###-####", "1-###-###-####", "###.###.####",
    "###-###-#### x###", "(###) ###-#### x###", "1-###-###-#### x####", "###.###.#### x#####",
)

# faker.js's bundled locales, for random.locale.
LOCALES = ("de", "de_AT", "de_CH", "en", "en_AU", "en_BORK", "en_CA", "en_GB", "en_IE", "en_IND", "en_US",
           "en_au_ocker", "es", "es_MX", "fa", "fr", "fr_CA", "ge", "id_ID", "it", "ja", "ko", "nb_NO",
           "nep", "nl", "pl", "pt_BR", "ru", "sk", "sv", "tr", "uk", "vi", "zh_CN", "zh_TW")

IMAGE_CATEGORIES = ("abstract", "animals", "business", "cats", "city", "food", "nightlife", "fashion",
                    "people", "nature", "sports", "technics", "transport")

# MIME type -> file extensions, for system.fileExt / commonFileExt / fileType.
MIME_EXTENSIONS = {
    "application/pdf": ("pdf",), "application/json": ("json",), "application/zip": ("zip",),
    "application/xml": ("xml",), "application/gzip": ("gz",), "application/msword": ("doc",),
    "application/vnd.ms-excel": ("xls",), "application/javascript": ("js", "mjs"),
    "audio/mpeg": ("mp3", "mpga"), "audio/wav": ("wav",), "audio/ogg": ("oga", "ogg"), "audio/flac": ("flac",),
    "image/png": ("png",), "image/jpeg": ("jpeg", "jpg", "jpe"), "image/gif": ("gif",),
    "image/svg+xml": ("svg",), "image/webp": ("webp",), "image/tiff": ("tif", "tiff"),
    "video/mp4": ("mp4", "mp4v", "mpg4"), "video/mpeg": ("mpeg", "mpg", "mpe"), "video/webm": ("webm",),
    "video/quicktime": ("mov", "qt"), "text/html": ("html", "htm"), "text/plain": ("txt", "text", "log"),
    "text/csv": ("csv",), "text/css": ("css",), "text/calendar": ("ics",),
}
COMMON_MIME_TYPES = ("application/pdf", "audio/mpeg", "audio/wav", "image/png", "image/jpeg", "image/gif",
                     "video/mp4", "video/mpeg", "text/html")
COMMON_FILE_TYPES = ("video", "audio", "image", "text", "application")
DIRECTORIES = ("/usr", "/usr/local", "/usr/share", "/var", "/var/log", "/var/lib", "/etc", "/opt", "/home",
               "/srv", "/tmp", "/mnt/data", "/Library", "/Applications", "/Users", "/private/var")
