"""Bar charts as plain SVG geometry: drawn on the server, coloured by CSS (so dark mode reads)."""

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 600
HEIGHT = 180
GAP = 6
LABEL_SPACE = 22


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: Decimal
    text: str


def bars(points: list[tuple[str, Decimal, str]]) -> list[Bar]:
    """One bar per ``(label, value, value as text)``, scaled to the tallest; zero gets no height."""
    if not points:
        return []
    top = max((value for _, value, _ in points), default=Decimal(0)) or Decimal(1)
    slot = WIDTH / len(points)
    usable = HEIGHT - LABEL_SPACE
    drawn = []
    for index, (label, value, text) in enumerate(points):
        height = float(max(value, Decimal(0)) / top) * (usable - 4)
        drawn.append(
            Bar(
                x=index * slot + GAP / 2,
                y=usable - height,
                width=slot - GAP,
                height=height,
                label=label,
                value=value,
                text=text,
            )
        )
    return drawn


@dataclass(frozen=True)
class Pair:
    """Two bars side by side for one label: money in and money out of a month."""

    label: str
    x: float
    width: float
    first: Bar
    second: Bar


def paired_bars(points: list[tuple[str, Decimal, str, Decimal, str]]) -> list[Pair]:
    """Per ``(label, first, first as text, second, second as text)`` two bars side by side,
    both scaled to the tallest of all; negative values get no height."""
    if not points:
        return []
    top = max((max(a, b) for _, a, _, b, _ in points), default=Decimal(0))
    top = top if top > 0 else Decimal(1)
    slot = WIDTH / len(points)
    usable = HEIGHT - LABEL_SPACE
    half = (slot - GAP) / 2

    def bar(x: float, label: str, value: Decimal, text: str) -> Bar:
        height = float(max(value, Decimal(0)) / top) * (usable - 4)
        return Bar(
            x=x, y=usable - height, width=half, height=height, label=label, value=value, text=text
        )

    return [
        Pair(
            label=label,
            x=index * slot + GAP / 2,
            width=slot - GAP,
            first=bar(index * slot + GAP / 2, label, a, a_text),
            second=bar(index * slot + GAP / 2 + half, label, b, b_text),
        )
        for index, (label, a, a_text, b, b_text) in enumerate(points)
    ]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: Decimal
    text: str


@dataclass(frozen=True)
class Line:
    """A line through values over time, with the zero line where the values cross it."""

    points: list[Point]
    zero_y: float

    @property
    def path(self) -> str:
        """The SVG path through the points (``M x y L x y …``)."""
        return " ".join(
            f"{'M' if index == 0 else 'L'}{p.x:.1f} {p.y:.1f}"
            for index, p in enumerate(self.points)
        )


def line(points: list[tuple[str, Decimal, str]], *, with_zero: bool = True) -> Line:
    """A point per ``(label, value, value as text)``, spread evenly, scaled between the lowest
    and the highest value; ``with_zero`` keeps zero in the scale, so the reader sees which side
    of it the values are (net worth), else the changes fill the height (an asset's value)."""
    usable = HEIGHT - LABEL_SPACE
    pad = 8
    if not points:
        return Line([], usable)
    values = [value for _, value, _ in points]
    low, high = min(values), max(values)
    if with_zero:
        low, high = min(low, Decimal(0)), max(high, Decimal(0))
    span = (high - low) or Decimal(1)
    slot = WIDTH / len(points)

    def y(value: Decimal) -> float:
        return pad + float((high - value) / span) * (usable - 2 * pad)

    return Line(
        points=[
            Point(x=index * slot + slot / 2, y=y(value), label=label, value=value, text=text)
            for index, (label, value, text) in enumerate(points)
        ],
        zero_y=y(Decimal(0)) if low <= 0 <= high else usable,
    )
