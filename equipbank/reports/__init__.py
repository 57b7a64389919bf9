"""Report figures, every one an aggregate computed by the database (issue 6).

A report never loops over rows in Python: each figure is a GROUP BY (or a window function
for medians) on the indexed columns. Handovers carry the beneficiary's commune of the day,
so a person who moves later still counts where they were equipped.

Definitions, the same on every page, export and API answer:
- equipped beneficiaries: distinct beneficiaries with a handover in the period;
- handovers: handovers in the period, a device later returned included;
- follow-ups done: handovers of the period with at least one follow-up appointment `done`;
- per 1,000 inhabitants: equipped beneficiaries over the population of the commune, or of
  the whole EPCI or département when grouped by those.
"""
