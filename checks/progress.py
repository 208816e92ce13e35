"""Progress of a run: a tqdm bar on a terminal, plain log lines anywhere else (CI logs)."""

from __future__ import annotations

from typing import TextIO

from tqdm import tqdm


class Progress:
    """``progress(done, total, label)``, called by :func:`checks.runner.run` before each check
    and once more with ``done == total``; use as a context manager so the bar is closed."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: tqdm | None = None
        self.tty = stream.isatty()

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.tty:
            if done < total:
                print(f"[icl-verify] ({done + 1}/{total}) {label}", file=self.stream, flush=True)
            return
        if self.bar is None:
            self.bar = tqdm(total=total, file=self.stream, unit="check", dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]")
        self.bar.update(done - self.bar.n)
        self.bar.set_description_str(label if done < total else "done")

    def stage(self, label: str) -> None:
        """A step after the checks (writing the report): a plain line, or the bar's label."""
        if self.bar is not None:
            self.bar.set_description_str(label)
        elif not self.tty:
            print(f"[icl-verify] {label}", file=self.stream, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
