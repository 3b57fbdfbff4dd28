"""Decision support: the dashboards' figures from rollups kept by event handlers, drill-down to the customers
behind a figure, live updates, the sales forecast, next-best-actions, exports and the weekly report.

models     tables                      facts      writing the rollup (differences, every level and period)
rollups    the event handlers          rebuild    the rollup from the source tables
filters    what a figure is asked for  figures    the figures, read from the rollup
drilldown  the customers behind a bar  live       telling open dashboards what changed
forecast   90-day sales forecast       nba        next-best-actions
exports    CSV / XLSX of a table       report     the weekly PDF report and its e-mail
mail       the e-mail outbox over SMTP jobs       scheduled work
"""
