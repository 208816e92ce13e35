"""checks.interrupt: a signal ends the command even where the exception raised for it is lost
(a handler that runs inside a weakref callback or ``__del__``; CI saw Python print "Exception
ignored in: WeakSet._remove" with our traceback, and the run go on)."""

from __future__ import annotations

import os
import signal
import weakref

import pytest

from checks.interrupt import Interrupted, check_pending, deferred, interruptible


class _Referent:
    pass


def _lose_a_signal() -> None:
    """Deliver SIGTERM while a weakref callback runs, where Python drops what it raises."""
    def callback(_ref: weakref.ref) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000):  # the handler runs between these bytecodes, inside the callback
            pass
    referent = _Referent()
    ref = weakref.ref(referent, callback)
    del referent
    assert ref() is None


def test_a_lost_interruption_is_raised_again_when_the_command_is_done(capsys) -> None:
    reached = False
    with pytest.raises(Interrupted, match="SIGTERM"):
        with interruptible():
            _lose_a_signal()
            reached = True
            check_pending()
    assert reached  # the first exception was indeed lost
    assert "Exception ignored" not in capsys.readouterr().err


def test_a_lost_interruption_stops_a_deferred_step_from_starting() -> None:
    started = False
    with pytest.raises(Interrupted):
        with interruptible():
            _lose_a_signal()
            with deferred():
                started = True
    assert not started
