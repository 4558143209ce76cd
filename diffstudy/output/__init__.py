"""The output floor: measurements turned into text — tables, graphs, figures and the report.

The tables and views format DataFrames the floors below built; the report's measuring part
(:mod:`.report.measure`) only calls the studies, with fixed settings, and keeps their results.
"""
