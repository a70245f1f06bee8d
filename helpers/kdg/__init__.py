"""The Amazon Kinesis Data Generator's template engine, in Python.

Paste a KDG record template, get the same kind of records -- reproducibly and
fast::

    from helpers.kdg import Generator, SimClock, compile_template, load_template

    template = compile_template(load_template("sensor_fleet"))   # checked once; TemplateError if broken
    generator = Generator(template, seed=42, clock=SimClock(start="2026-01-01T00:00:00Z", rate=100), tz="UTC")
    generator.render()            # one record (KDG adds "\\n" when sending; we leave that to the sender)
    list(generator.records(5))    # five more

Syntax and semantics are KDG's (faker.js ``fake()`` plus KDG's additions); the
modules explain the details:

* ``template``  -- parsing, the errors it raises, how KDG's re-scanning is handled;
* ``providers`` -- the registry of all 142 ``module.method`` helpers
  (``methods_random``, ``methods_date``, ``methods_faker``, ``jsfaker``);
* ``moment``    -- moment.js format strings for ``date.now("…")``;
* ``clock``     -- ``SimClock`` / ``RealClock`` and time zones;
* ``faults``    -- deliberate bad records (``FaultRates``) for the quarantine lesson.

Deviations from KDG, all deliberate (each module's docstring has the details):

1. Errors come at compile time with line:column, for everything KDG would
   reject while sending or silently render as ``NaN``/``undefined``/``Invalid Date``.
2. ``random.number`` with a precision prints clean decimals (``0.57``, not
   ``0.5700000000000001``); a negative max is included like a positive one.
3. ``random.weightedArrayElement`` uses exact weights (KDG rounds running sums to
   2 decimals).
4. Generated values are never re-scanned for placeholders; argument data
   containing ``{{``/``}}`` is refused instead.
5. Objects (``helpers.createCard`` …) are inserted as JSON, not ``[object Object]``;
   ``system.directoryPath``/``filePath`` return paths, not ``undefined``;
   ``date.between`` accepts ``{"from":…,"to":…}`` (impossible in KDG).
6. All date helpers follow the generator's clock (KDG: ``date.now``/``utc`` follow
   the wall clock, ``date.simTime`` the simulation); ``date.past`` & co. count from
   the record's instant.
7. Word lists (names, streets, lorem …) come from Python Faker's en_US data or the
   kit's own lists, not faker.js's; shapes and formats are faker.js's.
8. Time-zone names in ``String(date)`` output are abbreviations (``CET``), except
   "Coordinated Universal Time".
9. ``commerce.categories``/``mergeCategories`` are absent, as in KDG's bundle
   (commented out there).
"""

from .clock import RealClock, SimClock, resolve_tz
from .faults import FAULT_KINDS, SENSOR_FAULT_TARGETS, FaultRates, FaultTargets
from .generator import Generator, preview
from .library import TEMPLATE_DIR, list_templates, load_template, template_path
from .providers import REGISTRY, all_methods
from .template import CompiledTemplate, Placeholder, TemplateError, compile_template

__all__ = [
    "FAULT_KINDS",
    "REGISTRY",
    "SENSOR_FAULT_TARGETS",
    "TEMPLATE_DIR",
    "CompiledTemplate",
    "FaultRates",
    "FaultTargets",
    "Generator",
    "Placeholder",
    "RealClock",
    "SimClock",
    "TemplateError",
    "all_methods",
    "compile_template",
    "list_templates",
    "load_template",
    "preview",
    "resolve_tz",
    "template_path",
]
