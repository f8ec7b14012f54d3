"""The `/book` text grammar: what an agent types after `/book`, read into a `BookingForm`.

`<customer> <date> <HH:MM> <duration> [@engineer…] [extra] [training]`. Reading only: the
form is validated by `bot.bookings.sessions.book`, the same as one filled in by the modal.
"""

from __future__ import annotations

from bot.bookings.sessions import BookingForm, BookingInputError
from bot.parsing import InputError, parse_mention

FLAGS = ("extra", "training")


def parse_book_text(tokens: list[str]) -> BookingForm:
    """`<customer> <date> <HH:MM> <duration> [@engineer…] [extra] [training]`."""
    if len(tokens) < 4:
        raise InputError("give a customer, a date and time, and a duration")
    customer, day, clock, duration, *rest = tokens
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
