"""A member's birthday: month and day only ("MM-DD"), optional, and a real day of the year."""

from datetime import date


def is_month_day(text: str) -> bool:
    """True for a real month-day ("02-29" included: a leap-day birthday is celebrated on 28 Feb)."""
    if len(text) != 5 or text[2] != "-" or not (text[:2].isdigit() and text[3:].isdigit()):
        return False
    try:
        date(2000, int(text[:2]), int(text[3:]))  # 2000 is a leap year
    except ValueError:
        return False
    return True


def month_day(month: str, day: str) -> str | None:
    """The "MM-DD" of a month and a day picked on a form; None when both are empty; ValueError when
    only one is given or the day does not exist."""
    month, day = month.strip(), day.strip()
    if not month and not day:
        return None
    if not (month.isdigit() and day.isdigit()):
        raise ValueError("a birthday needs both a month and a day")
    text = f"{int(month):02d}-{int(day):02d}"
    if not is_month_day(text):
        raise ValueError(f"{text} is not a day of the year")
    return text
