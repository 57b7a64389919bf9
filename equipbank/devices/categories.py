"""What the workshop asks of each device category: the one table (DESIGN.md §2).

A screen has no storage to erase and no processor to measure; a laptop has both. `NEEDS`
says, per category, whether the unit holds its user's data (then a successful erasure is a
guard of `ready`, and the donor's documents wait for it) and which diagnostic measures apply
(the workshop's form shows those, the service and the API accept those only). The status
machine, the forms, the API and the donation documents all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from equipbank.codes import DeviceCategory

# Every measure of a diagnostic, in the form's order (the Device columns of the same names).
DIAGNOSTIC_FIELDS: tuple[str, ...] = (
    "cpu",
    "ram_gb",
    "storage_gb",
    "screen_inches",
    "battery_health_pct",
    "os_installed",
    "keyboard_layout",
)


@dataclass(frozen=True)
class CategoryNeeds:
    erasure: bool  # it stores data: a successful erasure before `ready`
    diagnostics: tuple[str, ...]  # the measures that apply to it, among DIAGNOSTIC_FIELDS


C = DeviceCategory
NEEDS: dict[DeviceCategory, CategoryNeeds] = {
    C.LAPTOP: CategoryNeeds(erasure=True, diagnostics=DIAGNOSTIC_FIELDS),
    C.DESKTOP: CategoryNeeds(
        erasure=True,
        diagnostics=("cpu", "ram_gb", "storage_gb", "os_installed", "keyboard_layout"),
    ),
    C.TABLET: CategoryNeeds(
        erasure=True,
        diagnostics=("ram_gb", "storage_gb", "screen_inches", "battery_health_pct", "os_installed"),
    ),
    C.SMARTPHONE: CategoryNeeds(
        erasure=True,
        diagnostics=("ram_gb", "storage_gb", "screen_inches", "battery_health_pct", "os_installed"),
    ),
    C.SCREEN: CategoryNeeds(erasure=False, diagnostics=("screen_inches",)),
    # A printer keeps no user data; a multifunction one with a disk may still be erased, and
    # the erasure is then recorded and certified like any other, only not required.
    C.PRINTER: CategoryNeeds(erasure=False, diagnostics=()),
    # Anything else may hold data until someone looks: erased, every measure offered.
    C.OTHER: CategoryNeeds(erasure=True, diagnostics=DIAGNOSTIC_FIELDS),
}


def needs_of(category: str) -> CategoryNeeds:
    return NEEDS[DeviceCategory(category)]


def needs_erasure(category: str) -> bool:
    return needs_of(category).erasure


def diagnostic_fields(category: str) -> tuple[str, ...]:
    return needs_of(category).diagnostics
