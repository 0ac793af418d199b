from regstudio.ui.throttle import Throttle, concat


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_rate_limit_merges_and_flushes_last():
    out, clock = [], Clock()
    th = Throttle(out.append, 10.0, concat, clock=clock)
    th.offer([1])          # first emits at once
    th.offer([2])
    th.offer([3])          # held: interval 0.1 s not over
    assert out == [[1]]
    clock.t = 0.05
    assert not th.poll()
    clock.t = 0.11
    assert th.poll()
    assert out == [[1], [2, 3]]
    th.offer([4])
    th.flush()             # the last value always arrives
    assert out[-1] == [4]
    assert not th.has_pending


def test_at_most_rate_per_second():
    out, clock = [], Clock()
    th = Throttle(out.append, 30.0, clock=clock)
    for i in range(10000):  # 10 s of events at 1 kHz
        clock.t = i / 1000
        th.offer(i)
    th.flush()
    assert len(out) <= 30 * 10 + 2
    assert out[-1] == 9999
