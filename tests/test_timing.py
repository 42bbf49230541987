"""Timing callables against each other (lottery_keras.acceleration.timing) on real MNIST images."""

import pytest

from lottery_keras.acceleration import litert, timing


@pytest.fixture(scope="module")
def data(mnist_mini):
    return mnist_mini


def test_time_runners_interleaves_and_reports_medians(tflite, data):
    _, exported = tflite
    runners = {"interpreter": litert.load(exported), "compiled": litert.load(exported, api="compiled")}
    times = timing.time_runners(runners, data.test[0][:1], repeats=3, number=20)
    assert set(times) == {"interpreter", "compiled"}
    for t in times.values():
        assert len(t.all_s) == 3 and t.batch == 1
        assert 0 < t.median_s < 0.1 and t.median_us == pytest.approx(1e6 * t.median_s)
