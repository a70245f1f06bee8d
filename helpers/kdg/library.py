"""The kit's template library: the files in ``data_templates/``, by name or by path."""

from __future__ import annotations

from pathlib import Path

from .template import TemplateError

__all__ = ["TEMPLATE_DIR", "list_templates", "load_template", "template_path"]

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "data_templates"
_SUFFIXES = (".json", ".txt", ".csv", ".log")


def _library() -> dict[str, Path]:
    """Template name (file name without extension) -> file, for every template file in the folder."""
    if not TEMPLATE_DIR.is_dir():
        return {}
    return {path.stem: path for path in sorted(TEMPLATE_DIR.iterdir())
            if path.is_file() and path.suffix in _SUFFIXES}


def list_templates() -> list[str]:
    """Names of the templates in data_templates/, sorted (e.g. 'sensor_fleet')."""
    return sorted(_library())


def template_path(name_or_path: str | Path) -> Path:
    """The file of a template name ('sensor_fleet') or an existing path; TemplateError if neither."""
    candidate = Path(name_or_path).expanduser()
    if candidate.is_file():
        return candidate
    library = _library()
    name = str(name_or_path)
    if name in library:
        return library[name]
    if Path(name).name == name and Path(name).stem in library and Path(name).suffix in _SUFFIXES:
        return library[Path(name).stem]  # "sensor_fleet.json" also names the library's file
    names = ", ".join(library) or "none"
    raise TemplateError(f"No template named {str(name_or_path)!r} and no such file: the kit has {names} "
                        f"(or give the path to a template file).")


def load_template(name_or_path: str | Path) -> str:
    """The text of a template: 'sensor_fleet' reads data_templates/sensor_fleet.json; a path reads that file."""
    path = template_path(name_or_path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError(f"{path} is not UTF-8 text; save the template as UTF-8.") from None
