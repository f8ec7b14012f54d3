"""The `/book` text grammar: what an agent types after `/book`, read into a `BookingForm`.

`<customer> <date> <HH:MM> <duration> [@engineer…] [extra] [training]`. Reading only: the
form is validated by `bot.bookings.sessions.book`, the same as one filled in by the modal.
"""

from __future__ import annotations

from bot.bookings.sessions import BookingForm, BookingInputError
from bot.parsing import InputError, date_length, parse_mention, take_duration

FLAGS = ("extra", "training")


def parse_book_text(tokens: list[str]) -> BookingForm:
    """`<customer> <date> <HH:MM> <duration> [@engineer…] [extra] [training]`; the date and
    the duration as people type them (`27 Nov`, `2 hours`, `1h 30m`)."""
    if len(tokens) < 4:
        raise InputError("give a customer, a date and time, and a duration")
    customer, *after = tokens
    day_words = date_length(after)
    day, after = " ".join(after[:day_words]), after[day_words:]
    if len(after) < 2:
        raise InputError("give a customer, a date and time, and a duration")
    clock, after = after[0], after[1:]
    duration_words = _duration_length(after)
    duration, rest = " ".join(after[:duration_words]), after[duration_words:]
    engineers: list[str] = []
    labels: dict[str, str] = {}
    flags: set[str] = set()
    for token in rest:
        word = token.lower()
        if word in FLAGS:
            flags.add(word)
            continue
        mention = parse_mention(token)
        if mention is None or mention.kind != "user":
            raise BookingInputError(
                "engineers",
                f"`{token}` is not an engineer (@mention someone) or `extra`/`training`",
            )
        if mention.id not in engineers:
            engineers.append(mention.id)
        if mention.label:
            labels[mention.id] = mention.label
    return BookingForm(
        customer=customer,
        day=day,
        clock=clock,
        duration=duration,
        engineers=tuple(engineers),
        extra="extra" in flags,
        training="training" in flags,
        labels=labels,
    )


def _duration_length(tokens: list[str]) -> int:
    """How many tokens the duration is typed in; a bad one is left to the form's check."""
    try:
        return take_duration(tokens)[1]
    except InputError:
        return 1
