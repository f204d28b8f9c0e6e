"""seedpool run's start-up hook (this directory is prepended to ``PYTHONPATH``).

Python imports ``sitecustomize`` at start-up (unless run with ``-S``, ``-I`` or ``-E``),
so every Python process started under ``seedpool run`` -- the script, its
``subprocess`` children, ``multiprocessing`` spawn and forkserver workers -- passes
through here. All the work is in :func:`seedpool._cli.bootstrap.activate`; this file
only calls it and then hands over to the ``sitecustomize`` this one shadows, if any.
It must never stop the interpreter from starting: every failure becomes one warning
line on stderr.
"""


def _seedpool_start():
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        try:
            import seedpool._cli.bootstrap as boot
        except ImportError:
            # seedpool is not installed for this interpreter: use the copy this
            # directory belongs to (<parent>/seedpool/_bootstrap/sitecustomize.py).
            sys.path.append(os.path.dirname(os.path.dirname(here)))
            import seedpool._cli.bootstrap as boot
        boot.activate()
    except BaseException as exc:  # noqa: BLE001 - start-up must go on
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        sys.stderr.write(f"seedpool run: could not seed this process ({type(exc).__name__}: {exc}); "
                         "its random streams are not reproducible\n")
    _chain(here)


def _chain(here):
    """Import the next ``sitecustomize`` on sys.path: the one this file shadows."""
    import importlib.util
    import os
    import sys

    me = sys.modules.pop("sitecustomize", None)
    ours = [i for i, p in enumerate(sys.path) if os.path.abspath(p or os.curdir) == here]
    for i in reversed(ours):
        del sys.path[i]
    try:
        spec = importlib.util.find_spec("sitecustomize")
        if spec is not None and spec.origin and os.path.dirname(os.path.abspath(spec.origin)) != here:
            module = importlib.util.module_from_spec(spec)
            sys.modules["sitecustomize"] = module
            spec.loader.exec_module(module)
            return
    except Exception as exc:  # noqa: BLE001 - same contract as site.execsitecustomize
        sys.stderr.write(f"Error in sitecustomize (chained by seedpool run): {type(exc).__name__}: {exc}\n")
    finally:
        # Put our entry back where it was; keep whatever the chained file added.
        for i in ours:
            sys.path.insert(i, here)
    if me is not None:
        sys.modules.setdefault("sitecustomize", me)


if __name__ == "sitecustomize":
    _seedpool_start()
