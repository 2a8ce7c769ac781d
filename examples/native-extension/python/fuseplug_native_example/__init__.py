"""An example native extension over Daft's stable C ABI (version 1).

Load it into fuseplug without importing it: ``ctx.load_extension("fuseplug_native_example")``.
Functions: ``example_reverse(s)``, the aggregate ``example_longest(s)``, and
``example_l2_distance`` / ``example_cosine_distance`` / ``example_inner_product`` over
FixedSizeList and List vectors of float32 or float64.
"""

from fuseplug_native_example._native import live_objects

__all__ = ["live_objects"]
