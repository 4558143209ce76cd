"""The harness: cases, running each method on a case, and ``compare`` into one DataFrame.

A case is a function with a point (:mod:`.cases`), loaded from files (:mod:`.loading`);
:func:`.methods.run_methods` runs the function and every method on counting numbers, and
:func:`.compare.compare` gathers the results of many cases in one tidy DataFrame.
"""
