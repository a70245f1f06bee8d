"""For teachers: learner copies of the notebooks, with the exercise solutions taken out.

    python -m helpers.classroom learner-copies               # into build/learner/
    python -m helpers.classroom learner-copies --out DIR

The full notebooks in ``notebooks/`` stay the tested source: each exercise's solution is a code
cell tagged ``solution``, run and checked like every other cell. A learner copy is the same
notebook with every output cleared, each ``solution`` cell replaced by a starter cell (a
``# TODO`` saying what to do, plus the set-up lines the exercise gives), and a note at the top.
The copies are deterministic: the same notebooks always give byte-identical files.

Give each learner their own ``DSCA_PREFIX`` (see notebooks/INDEX.md); to list and delete every
learner's resources, use ``python -m helpers.teardown``.
"""

from __future__ import annotations

import argparse
import copy
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .errors import KitError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "build" / "learner"
SOLUTION_TAG = "solution"
STARTER_TAG = "starter"
NOTE_ID = "learner-copy-note"


@dataclass(frozen=True)
class Starter:
    """What replaces one solution cell: ``code``, of which the ``given`` lines come from the solution."""

    code: str
    given: tuple[str, ...] = ()


# One starter per solution cell, by cell id. ``given`` lines are copied from the solution (the
# generator checks they are still there); every other line is new and gives nothing away.
STARTERS: dict[str, Starter] = {
    # 01_create_kinesis_stream
    "ab40561e": Starter(
        '# TODO: create EXERCISE_STREAM with 2 shards, tagged with cfg.tags (kinesis.ensure_stream), then put\n'
        '# at least 3 records into it (kinesis.put_record), trying partition keys until both shards got one.\n'
        'EXERCISE_STREAM = cfg.name("exercise-stream")\n',
        given=('EXERCISE_STREAM = cfg.name("exercise-stream")',),
    ),
    # 02_generate_data
    "8c6ff22c": Starter(
        '# TODO: make my_template the sensor template (template_text) plus a "firmware" field holding a version\n'
        '# such as "1.4.2", with more than one version across the fleet. For now it is the unchanged template.\n'
        'my_template = template_text\n',
    ),
    # 03_glue_streaming_etl
    "1d92e6c5": Starter(
        '# TODO: put three records the job must quarantine, each for a different reason and each containing the\n'
        '# word "exercise", into my_records; send them to STREAM (kinesis.put_record); start the job again\n'
        '# (glue.start_run), wait until it has read them (glue.wait_for_records with expected=before + 3),\n'
        '# and stop it (glue.stop_run).\n'
        'my_records = []\n'
        'before = glue.totals(glue.batch_metrics(METRICS))["read"]\n',
        given=('before = glue.totals(glue.batch_metrics(METRICS))["read"]',),
    ),
    # 04_s3_storage
    "530039f8": Starter(
        '# TODO: from `curated`, the mean reading per sensor_type, counting each event_id once,\n'
        '# as a pandas Series indexed by sensor_type.\n'
        'answer = None\n',
    ),
    # 05_glue_crawler
    "ee68a928": Starter(
        '# TODO: give the crawler role CRAWLER_ROLE a policy that can also read metrics/ (catalog.crawler_policy,\n'
        '# iam.ensure_role with iam.GLUE_TRUST_POLICY); create a crawler named cfg.name("metrics-crawler") over\n'
        '# METRICS that writes tables named metrics_... into DATABASE (catalog.ensure_crawler); run it\n'
        '# (catalog.run_crawler).\n',
    ),
    # 06_athena_queries
    "dc1ffd57": Starter(
        '# TODO: from the readings view, one row per site with the columns site, readings (how many)\n'
        '# and fail_share (the fraction with status FAIL, between 0 and 1). Replace this query with yours:\n'
        'answer = sql("SELECT site FROM readings GROUP BY site")\n'
        'answer.df\n',
        given=("answer.df",),
    ),
    # 07_visualize_dashboards
    "48dce580": Starter(
        '# TODO: add a fifth visual about battery levels by site to mine["Sheets"][0]["Visuals"], for example\n'
        '# a BarChartVisual with site as the category and the average of battery_pct as the value (the four\n'
        '# visuals in `definition` show the shape). The last line publishes it.\n'
        'import copy\n'
        '\n'
        'mine = copy.deepcopy(definition)\n'
        '\n'
        'dashboard = qs.ensure_dashboard(DASHBOARD, "Sensor fleet", mine, user=QS_USER)\n',
        given=("import copy", "mine = copy.deepcopy(definition)",
               'dashboard = qs.ensure_dashboard(DASHBOARD, "Sensor fleet", mine, user=QS_USER)'),
    ),
    # 08_teardown
    "e08a5011": Starter(
        '# TODO: create a Kinesis stream named FORGOTTEN with the kit\'s tags (kinesis.ensure_stream, tags=cfg.tags),\n'
        '# then keep the report of a dry run (teardown.teardown(cfg, dry_run=True)) in `plan` and look for it.\n'
        'FORGOTTEN = cfg.name("forgotten-stream")\n'
        'plan = None\n',
        given=('FORGOTTEN = cfg.name("forgotten-stream")',),
    ),
}

GENERIC_STARTER = Starter("# TODO: your solution to the exercise above; then run the check below.\n")


def notebooks(source: Path = NOTEBOOKS) -> list[Path]:
    """The numbered notebooks, in order."""
    return sorted(source.glob("[0-9][0-9]_*.ipynb"))


def solution_cells(nb) -> list:
    return [cell for cell in nb.cells if SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])]


def has_exercise(nb) -> bool:
    return any(cell.cell_type == "code" and "check_exercise_" in cell.source for cell in nb.cells)


def starter_for(cell, notebook: str) -> Starter:
    """The starter of one solution cell, after checking its given lines are still in the solution."""
    starter = STARTERS.get(cell.get("id", ""), GENERIC_STARTER)
    lines = {line.strip() for line in cell.source.splitlines()}
    stale = [line for line in starter.given if line.strip() not in lines]
    if stale:
        raise KitError(f"{notebook}: the starter of solution cell {cell.get('id')} gives {stale[0]!r}, which the "
                       "solution no longer has; update STARTERS in helpers/classroom.py.")
    return starter


def note_cell(notebook: str):
    cell = nbformat.v4.new_markdown_cell(
        f"> **Learner copy** of `notebooks/{notebook}`, made by `python -m helpers.classroom learner-copies`. "
        "Outputs are cleared and the exercise's solution is replaced by a cell starting with `# TODO`: write "
        "your own code there, then run the check below it. (Where the text mentions a solution in the cell, "
        "your teacher has it.) Run the cells in order from the top; set `DSCA_PREFIX` to the prefix your "
        "teacher gave you before starting Jupyter.")
    cell["id"] = NOTE_ID
    return cell


def learner_copy(nb, notebook: str):
    """A learner copy of one notebook (a new object; ``nb`` is not changed)."""
    if has_exercise(nb) and not solution_cells(nb):
        raise KitError(f"{notebook} has an exercise check but no cell tagged {SOLUTION_TAG!r}; "
                       "tag the solution cell before making learner copies.")
    out = copy.deepcopy(nb)
    cells = [note_cell(notebook)]
    for cell in out.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_TAG in tags:
            starter = starter_for(cell, notebook)
            cell.source = starter.code.rstrip("\n")
            cell.cell_type = "code"
            cell.metadata["tags"] = [STARTER_TAG if t == SOLUTION_TAG else t for t in tags]
        cells.append(cell)
    out.cells = cells
    nbformat.validate(out)
    return out


def learner_copies(out: Path = DEFAULT_OUT, source: Path = NOTEBOOKS, verbose: bool = True) -> list[Path]:
    """Write a learner copy of every numbered notebook (and the index) into ``out``; return the paths.

    Files whose content would not change are left untouched, so a second run changes nothing.
    """
    out, source = Path(out), Path(source)
    if out.resolve() == source.resolve():
        raise KitError(f"--out {out} is the notebooks' own folder; learner copies would overwrite the full notebooks.")
    paths = notebooks(source)
    if not paths:
        raise KitError(f"No numbered notebooks in {source}.")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        text = nbformat.writes(learner_copy(nb, path.name))
        if not text.endswith("\n"):
            text += "\n"
        written.append(_write(out / path.name, text))
        if verbose:
            removed = len(solution_cells(nb))
            print(f"{out / path.name}: {removed} solution cell{'s' * (removed != 1)} replaced, outputs cleared")
    index = source / "INDEX.md"
    if index.exists():
        written.append(_write(out / index.name, index.read_text(encoding="utf-8")))
    return written


def _write(path: Path, text: str) -> Path:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.classroom", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    copies = commands.add_parser("learner-copies", help="write the notebooks without exercise solutions or outputs")
    copies.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the copies (default: build/learner)")
    args = parser.parse_args(argv)
    try:
        learner_copies(args.out)
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Hand out {args.out}/: open the copies with Jupyter from there (the helpers package must be installed, "
          "as `make lab` does).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
