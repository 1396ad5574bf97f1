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
