"""Long text and long lists in Block Kit: split at line breaks, never cut silently."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.blocks import (
    MESSAGE_BLOCKS,
    SECTION_LIMIT,
    actions,
    button,
    chunks,
    paginate,
    section,
    sections,
)

lines = st.lists(st.text(st.characters(exclude_characters="\n"), max_size=4000), max_size=40)


@given(lines)
def test_sections_keep_every_line_and_fit(parts):
    text = "\n".join(parts)
    runs = chunks(text)
    assert all(len(run) <= SECTION_LIMIT for run in runs)
    # Nothing lost: joining the runs gives the words back (long lines are split at spaces).
    assert "".join(runs).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_lines_are_never_split_when_they_fit():
    items = [f"• line {n:03d} " + "x" * 90 for n in range(100)]
    runs = chunks("\n".join(items))
    assert len(runs) > 1
    assert [line for run in runs for line in run.split("\n")] == items


def test_a_section_too_long_says_so():
    text = section("y" * 5000)["text"]["text"]
    assert len(text) <= SECTION_LIMIT
    assert "more characters" in text


def more(offset: int) -> dict:
    return actions(button("page_more", "More", str(offset)))


@given(
    st.lists(st.integers(min_value=1, max_value=3500), min_size=1, max_size=120),
    st.integers(min_value=5, max_value=MESSAGE_BLOCKS),
    st.integers(min_value=4000, max_value=40_000),
)
def test_pages_show_every_item_once_within_the_limits(sizes, max_blocks, max_chars):
    items = [f"#{n}:" + "z" * size for n, size in enumerate(sizes)]
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        page = paginate(
            "Head",
            items,
            ["Total: 9"],
            offset=offset,
            more=more,
            max_blocks=max_blocks,
            max_chars=max_chars,
        )
        assert len(page.blocks) <= max_blocks
        assert all(
            len(b["text"]["text"]) <= SECTION_LIMIT for b in page.blocks if b["type"] == "section"
        )
        assert page.shown >= 1
        assert "Total: 9" in page.text
        if page.next_offset is not None:
            assert f"… and {page.hidden} more" in page.text
            assert page.blocks[-1]["type"] == "actions"
        seen.extend(range(page.first, page.first + page.shown))
        offset = page.next_offset
    assert seen == list(range(len(items)))


def test_a_short_list_has_no_more_button():
    page = paginate("Head", ["• a", "• b"], more=more)
    assert page.next_offset is None
    assert page.text == "Head\n• a\n• b"
    assert [b["type"] for b in page.blocks] == ["section", "section"]


def test_sections_of_empty_text_is_one_empty_section():
    assert sections("") == [section("")]
