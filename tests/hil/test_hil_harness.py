# The harness itself: a failing body fails the test with the body's traceback, and a body
# that hangs is stopped at its timeout.
import kernel
import hil


def test_failure_carries_body_traceback():
    def body():
        yield kernel.sleep(1)
        assert 1 + 1 == 3, "arithmetic"
    try:
        hil.run(body)
    except AssertionError as e:
        text = str(e)
        assert "arithmetic" in text and "body traceback" in text and "test_hil_harness" in text, text
    else:
        raise AssertionError("a failing body passed")


def test_hanging_body_times_out():
    def body():
        yield kernel.recv()
    try:
        hil.run(body, timeout_ms=100)
    except hil.BodyTimeout:
        pass
    else:
        raise AssertionError("a hanging body passed")


def test_body_value_is_returned():
    def body():
        yield kernel.sleep(1)
        return 42
    assert hil.run(body) == 42
