"""One BLAS thread for the process: speed on few cores, and the same numbers every run.

numpy, scipy and FAISS each load an OpenBLAS whose thread pool keeps spinning for a while
after a product. kgfuse's products are small (fact vectors against a query, batches of
fact texts), and on a machine with few cores the spinning pools take the cores from
torch's OpenMP threads: measured on 2 idle cores, one diagnosis took 45-55 ms with the
pools at 2 threads and 24-31 ms at 1. OpenBLAS's results also depend on its thread count
in the last bits, which is enough to change trained weights: a model trained after a
diagnosis in the same process differed from one trained before it. Every entry point
that computes with numpy on the way to a model (building a fact index, training, loading
a model for inference) therefore calls :func:`limit_blas_threads` first.
"""

from __future__ import annotations


def limit_blas_threads(threads: int = 1) -> None:
    """Cap every BLAS library loaded in the process (OpenBLAS, MKL) at ``threads``,
    process-wide and for good (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")


__all__ = ["limit_blas_threads"]
