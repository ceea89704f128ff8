"""LP rows described in the user's terms (no solver objects: reports read these)."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class RowKey:
    """Where a limit applies, as fields: a hall row has a site and a hall, a supply row an
    accelerator, a share row a vendor or an ecosystem. Fields that do not apply are None.

    `str(key)` is the dotted form row names and tables show (`prometheus.tents`); nothing
    splits it back: code that needs the site reads `key.site`.
    """

    site: str | None = None
    hall: str | None = None
    source: str | None = None
    accelerator: str | None = None
    part_family: str | None = None
    """A family of parts that train together (training clusters)."""
    vendor: str | None = None
    ecosystem: str | None = None
    workload: str | None = None
    offer: str | None = None
    """A cloud lease offer (verification's checks; the LP bounds leases by column)."""
    year: str | None = None

    @classmethod
    def of_group(cls, kind: str, group: str) -> RowKey:
        """The key of a share limit on a vendor's or an ecosystem's compute (`kind` is
        `vendor` or `ecosystem`, as a plan's `shares:` names it)."""
        if kind == "vendor":
            return cls(vendor=group)
        if kind == "ecosystem":
            return cls(ecosystem=group)
        raise ValueError(f"a share groups accelerators by vendor or ecosystem, not {kind!r}")

    @property
    def parts(self) -> tuple[str, ...]:
        """The fields that apply, in declaration order."""
        return tuple(value for value in (self.site, self.hall, self.source, self.accelerator, self.part_family,
                                         self.vendor, self.ecosystem, self.workload, self.offer, self.year)
                     if value is not None)

    @property
    def label(self) -> str:
        """As a sentence shows it: `prometheus / tents`."""
        return " / ".join(self.parts)

    def __str__(self) -> str:
        return ".".join(self.parts)


KEY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(RowKey))
"""RowKey's fields, in order: the tables give each its own column."""


@dataclass(frozen=True, slots=True)
class RowInfo:
    """One LP row in the user's terms (slots: a 300-site plan has 158k of them)."""

    name: str
    family: str
    key: RowKey
    period: str
    sense: str
    """`<=`, `>=` or `==`."""
    rhs: float
