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


# -- cancelling on Dask stops the running jobs, not only the queued ones -----------------------
def wait_for_cancel(shared, marker: str, cancel) -> str:
    """A job that runs until its cancel flag is set, and says in ``marker`` how it ended."""
    from pathlib import Path

    from regstudio.experiments.executors import Cancelled

    Path(marker).write_text("started")
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if cancel.is_set():
            Path(marker).write_text("saw the cancel")
            raise Cancelled()
        time.sleep(0.05)
    Path(marker).write_text("ran to its end")
    return shared


def test_a_dask_cancel_stops_the_running_job_and_frees_its_worker(tmp_path):
    import threading

    distributed = pytest.importorskip("distributed")
    from regstudio.experiments.executors import Cancelled

    marker = tmp_path / "job.txt"
    cancel = threading.Event()
    outcome = []

    def run(address):
        try:
            run_jobs(wait_for_cancel, [(str(marker),)], "dask", scheduler=address, cancel=cancel,
                     shared="data", stop=True)
        except Cancelled:
            outcome.append("cancelled")

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        worker = threading.Thread(target=run, args=(cluster.scheduler_address,))
        worker.start()
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the job never started"
        cancel.set()
        worker.join(60)
        assert outcome == ["cancelled"] and not worker.is_alive()
        # run_jobs returned once the running job had seen the flag: its one thread is free
        assert marker.read_text() == "saw the cancel"
        assert run_jobs(slow_square, [(5,)], "dask", scheduler=cluster.scheduler_address) == [25]
