"""``python -m helpers.kdg``: render KDG templates, or send them to a stream.

    python -m helpers.kdg list
    python -m helpers.kdg render sensor_fleet --count 5 --seed 42 --start 2026-01-01T00:00:00Z
    python -m helpers.kdg send sensor_fleet --stream dsca-you-sensor-stream --rate 100 --count 1000 --seed 42

TEMPLATE is a name from data_templates/ or a path to a template file. With
``--seed`` and ``--start`` the records (timestamps included) are the same on
every run; without them the generator behaves like the KDG: real time, random.
A user mistake ends in one sentence on stderr and exit code 1, before anything
is sent.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from typing import Iterator

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import KitError

FAULTS = ("malformed_json", "out_of_range", "wrong_type", "missing_field", "duplicate")


def _generator(args: argparse.Namespace):
    from . import FaultRates, Generator, SimClock, compile_template, load_template

    template = compile_template(load_template(args.template))
    clock = None
    if args.start:
        clock = SimClock(start=args.start, rate=args.sim_rate or getattr(args, "rate", None) or 100.0)
    rates = {name: getattr(args, name) for name in FAULTS if getattr(args, name)}
    faults = FaultRates(**rates) if rates else None
    kwargs = {"seed": args.seed, "clock": clock, "faults": faults}
    if args.tz:
        kwargs["tz"] = args.tz
    return Generator(template, **kwargs)


def cmd_list(args: argparse.Namespace) -> int:
    from . import list_templates

    for name in list_templates():
        print(name)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    if args.count < 0:
        raise KitError(f"--count {args.count} is not valid: give 0 or more records.")
    generator = _generator(args)
    write = sys.stdout.write
    for record in generator.records(args.count):
        write(record)
        write("\n")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    import helpers

    from .sender import send_records

    if args.count is None and args.duration is None:
        raise KitError("Say how much to send: --count N or --duration SECONDS.")
    if args.count is not None and args.count < 1:
        raise KitError(f"--count {args.count} is not valid: give at least 1 record.")
    if args.duration is not None and not args.duration > 0:
        raise KitError(f"--duration {args.duration} is not valid: give seconds greater than 0.")
    if args.rate is not None and not args.rate > 0:
        raise KitError(f"--rate {args.rate} is not valid: give records per second greater than 0.")

    generator = _generator(args)  # template errors surface here, before any AWS call
    cfg = helpers.setup(quiet=True)
    print(cfg.summary(), file=sys.stderr)

    records: Iterator[str]
    total = args.count
    if total is None and args.rate is not None:
        total = int(args.rate * args.duration)  # at a fixed rate, a duration is a count
    if total is not None:
        records = generator.records(total)
    else:
        deadline = time.monotonic() + args.duration
        records = itertools.takewhile(lambda _: time.monotonic() < deadline, generator.records(sys.maxsize))

    # Render the first record before sending anything: an oversized or broken
    # template then fails with nothing sent.
    first = next(iter(records), None)
    if first is None:
        raise KitError("The template produced no records; nothing was sent.")
    size = len(first.encode())
    if size > 1024 * 1024:
        raise KitError(f"The template renders records of {size:,} bytes; Kinesis takes at most 1 MiB per record. Nothing was sent.")

    report = send_records(
        args.stream,
        itertools.chain([first], records),
        rate=args.rate,
        total=total,
        progress=not args.no_progress,
        seed=args.seed,
        kinesis=cfg.client("kinesis"),
    )
    if args.no_progress:
        print(report.summary())
    counts = getattr(generator, "fault_counts", None)
    if counts and any(k != "clean" and v for k, v in counts.items()):
        print("injected faults: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())), file=sys.stderr)
    if report.failed:
        raise KitError(f"{report.failed:,} of {report.sent + report.failed:,} records could not be delivered "
                       f"({', '.join(f'{k}: {v}' for k, v in report.errors.items())}).")
    return 0


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction between 0 and 1")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m helpers.kdg", description="Kinesis Data Generator templates, in Python.")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="List the templates in data_templates/.")

    def generation(p: argparse.ArgumentParser) -> None:
        p.add_argument("template", help="a name from data_templates/ (see `list`) or a template file")
        p.add_argument("--seed", type=int, help="random seed: the same seed gives the same records")
        p.add_argument("--start", help="simulated clock start (ISO 8601, e.g. 2026-01-01T00:00:00Z): timestamps advance "
                                        "by 1/rate per record instead of following the wall clock")
        p.add_argument("--sim-rate", type=float, help="records per simulated second (default: --rate, else 100)")
        p.add_argument("--tz", help="time zone for date.now (default: this machine's, as the KDG); e.g. UTC")
        faults = p.add_argument_group("faults injected into the sensor_fleet stream (fractions of records)")
        for name in FAULTS:
            faults.add_argument(f"--{name.replace('_', '-')}", dest=name, type=_rate, default=0.0, metavar="RATE")

    render = sub.add_parser("render", help="Print records, one per line, exactly as they would be sent.")
    generation(render)
    render.add_argument("--count", type=int, default=10, help="how many records (default 10)")

    send = sub.add_parser("send", help="Send records to a Kinesis data stream, retrying what is throttled.")
    generation(send)
    send.add_argument("--stream", required=True, help="the stream's name")
    send.add_argument("--rate", type=float, help="target records per second (default: as fast as the stream takes them)")
    amount = send.add_mutually_exclusive_group()
    amount.add_argument("--count", type=int, help="how many records")
    amount.add_argument("--duration", type=float, help="how many seconds to send for")
    send.add_argument("--no-progress", action="store_true", help="no progress bar; print the summary on stdout")
    return top


COMMANDS = {"list": cmd_list, "render": cmd_render, "send": cmd_send}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `render ... | head` closed the pipe: not an error
        sys.stderr.close()
        return 0
    except (BotoCoreError, ClientError) as exc:
        print(f"error: AWS answered: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
