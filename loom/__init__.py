"""loom: declarative use cases compiled into immutable execution plans."""

__version__ = "0.1.0"


def _check_not_beside_loom_kernel() -> None:
    """Warn, once (at import), when loom-kernel is installed in the same folder.

    loom-kernel provides a ``loom`` package too. Installed over it, loomgen's
    files replace loom-kernel's, but loom-kernel's metadata still lists them:
    ``pip uninstall loom-kernel`` would then delete parts of this package, and
    leftovers of loom-kernel's would be imported beside it. One directory
    listing of the folder holding ``loom``; nothing else is read unless it
    finds loom-kernel's metadata.
    """
    import os

    folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        names = os.listdir(folder)
    except OSError:
        return
    found = [
        name
        for name in names
        if name.lower().startswith(("loom_kernel-", "loom-kernel-"))
        and name.endswith((".dist-info", ".egg-info"))
    ]
    if not found:
        return
    import warnings

    from loom.install import install_hint

    warnings.warn(
        f"loom-kernel is installed beside loomgen ({found[0]} in {folder}); both provide the"
        " `loom` package, so loom-kernel's files and metadata now mix with loomgen's. Run"
        " `pip uninstall loom-kernel`, then reinstall loomgen over what that removed:"
        f" `{install_hint(reinstall=True)}`",
        RuntimeWarning,
        stacklevel=2,
    )


_check_not_beside_loom_kernel()
