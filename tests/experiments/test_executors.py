"""Every executor runs jobs that outlast its polling interval and returns results in job order."""

import time

import pytest

from regstudio.experiments.executors import run_jobs


def slow_square(x: int) -> int:
    time.sleep(0.6)  # longer than the executors' 0.1-0.2 s polling
    return x * x


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_slow_jobs_on_this_machine(executor):
    done = []
    assert run_jobs(slow_square, [(3,), (4,)], executor, workers=2,
                    on_done=lambda i, r: done.append(i)) == [9, 16]
    assert sorted(done) == [0, 1]


def test_slow_jobs_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        assert run_jobs(slow_square, [(3,), (4,)], "dask", scheduler=cluster.scheduler_address) == [9, 16]
