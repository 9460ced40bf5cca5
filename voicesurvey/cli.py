"""What the management commands share: a progress bar on stderr that stays out of the way of
their output, and finding a record by its id or its unique name."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Model, QuerySet
from tqdm import tqdm


def lookup_by_id_or_name[RecordT: Model](
    queryset: QuerySet[RecordT], value: str, *, noun: str
) -> RecordT:
    """A record by id, or by its exact `name` when only one record has it (CommandError
    otherwise, saying which ids share the name)."""
    try:
        return queryset.get(pk=uuid.UUID(value))
    except (ValueError, ValidationError):
        pass  # not an id: try the name
    except ObjectDoesNotExist as exc:  # the model's DoesNotExist, which mypy cannot see here
        raise CommandError(f"No {noun} has the id {value}.") from exc
    matches = list(queryset.filter(name=value).values_list("pk", flat=True)[:10])
    if not matches:
        raise CommandError(f"No {noun} has the id or name {value!r}.")
    if len(matches) > 1:
        ids = ", ".join(str(pk) for pk in matches)
        raise CommandError(f"Several {noun}s are named {value!r}; give one of their ids: {ids}")
    return queryset.get(pk=matches[0])


def _unstyled(text: str) -> str:
    return text


class BarOutput:
    """tqdm's writes, passed to a command's stderr without the newline OutputWrapper adds."""

    def __init__(self, wrapper):
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        # Plain: a command's stderr styles what it is given as an error (red on a terminal),
        # and a progress bar is no error.
        self._wrapper.write(text, ending="", style_func=_unstyled)

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()


def progress_bar(command: BaseCommand, verbosity: int, **options: Any) -> tqdm:
    """A tqdm bar on the command's stderr. -v0: never; -v1: on a terminal only (tqdm's None);
    -v2 and up: always, e.g. into a log."""
    return tqdm(
        disable={0: True, 1: None}.get(verbosity, False),
        file=BarOutput(command.stderr),
        **options,
    )


class ProgressBar:
    """A bar over a file's lines, fed by an import's on_progress(done, total)."""

    def __init__(self, command: BaseCommand, verbosity: int):
        self.bar = progress_bar(command, verbosity, unit=" lines")

    def __call__(self, done: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()
