"""log Σ exp(zᵢ), computed stably: shift by the largest z first, so no exp overflows."""

import numpy as np

from diffstudy import case


@case(at={"z": [1000.0, 999.0, 997.5]})
def log_sum_exp(z):
    """m + log Σ exp(zᵢ − m), m = max z. Unshifted, exp(1000) overflows a float. The max is a
    kink only where two entries tie; here they do not, and the gradient is softmax(z) (the
    shift's own derivative cancels: ∂/∂m of m + log Σ exp(zᵢ − m) is 1 − Σ softmax = 0)."""
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))
