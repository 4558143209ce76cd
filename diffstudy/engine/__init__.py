"""The engine: diffstudy's number types and the rules they follow.

The table of primitives (value and local partials), the counting numbers every count comes
from, forward mode's dual numbers, reverse mode's tape, sympy's derivative and the evaluation
of sympy expressions as programs, and the budgets that stop a swelling symbolic computation.
The engine knows nothing of cases, tables or reports.
"""
