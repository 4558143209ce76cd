"""The studies: swell, cost, chain and graph, each measuring into DataFrames.

Every study builds its programs (:mod:`.programs`), measures them through the harness's one
measuring loop, and returns :class:`.section.Section` tables; turning them into text is the
output floor's job.
"""
