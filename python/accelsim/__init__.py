"""accelsim from Python: simulate, sweep, execute and round to low-precision formats.

Every function calls the accelsim Rust library directly (never the command-line tool) and
releases the GIL while it works, so threads and Dask workers run in parallel.

- :func:`run` -- the report ``accelsim run --json`` prints, as a dict;
- :func:`sweep` / :func:`merge` -- design-space sweeps, shards and merge (the same files as
  ``accelsim sweep``); :mod:`accelsim.distributed` runs the shards on Dask;
- :func:`execute` -- functional execution with numpy arrays in and out;
- :func:`cast`, :func:`encode`, :func:`decode` -- bit-exact numerics on numpy arrays, the
  same results as ``accelsim cast``.

Bad input raises :class:`AccelsimError` (a ``ValueError``) whose message names the file,
the JSON path and what was expected.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._native import AccelsimError

__version__: str = _native.__version__

__all__ = [
    "AccelsimError",
    "SweepResult",
    "cast",
    "code_bits",
    "decode",
    "encode",
    "execute",
    "merge",
    "run",
    "sweep",
    "sweep_info",
]

PathLike = Union[str, "os.PathLike[str]"]
Source = Union[PathLike, Mapping[str, Any], str]


def _source(value: Any, what: str) -> Tuple[str, str]:
    """Normalises a path, a dict or JSON text to the native ``(kind, text)`` pair."""
    if isinstance(value, Mapping):
        return ("json", json.dumps(value))
    if isinstance(value, os.PathLike):
        return ("path", os.fspath(value))
    if isinstance(value, str):
        if value.lstrip().startswith(("{", "[")):
            return ("json", value)
        return ("path", value)
    raise TypeError(
        f"{what}: expected a path, a dict or JSON text, got {type(value).__name__}"
    )


def _npy_bytes(name: str, array: Any) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def _npy_inputs(inputs: Optional[Mapping[str, Any]]) -> Dict[str, bytes]:
    return {str(k): _npy_bytes(str(k), v) for k, v in (inputs or {}).items()}


def run(
    arch: Source,
    workload: Source,
    *,
    engine: str = "event",
    launch: str = "graph",
    fusion: bool = True,
    trace: bool = False,
    functional: bool = False,
    inputs: Optional[Mapping[str, np.ndarray]] = None,
    seed: int = 0,
    allow_unknown: bool = False,
    input_shapes: Optional[Mapping[str, Sequence[int]]] = None,
) -> Dict[str, Any]:
    """Simulates ``workload`` on ``arch`` and returns the report ``accelsim run --json``
    prints, parsed into a dict (same keys, same order, same numbers).

    ``arch`` and ``workload`` are each a path, a dict or JSON text; ``workload`` may also be
    an ``.onnx`` path (imported as the CLI does; ``allow_unknown`` and ``input_shapes`` are
    the CLI's ``--allow-unknown`` / ``--input-shape``). ``engine`` is ``"event"`` or
    ``"analytic"``. ``launch`` is the GPU launch path, as the CLI's ``--launch``:
    ``"graph"`` (CUDA Graph replay, the default), ``"cpp"`` or ``"eager"``; no effect on
    other archs. ``fusion=False`` costs every op as written, as the CLI's ``--no-fusion``
    (by default elementwise ops fuse into their producer's epilogue where the arch declares
    one, ``docs/fusion.md``). With ``trace=True`` the Chrome/Perfetto trace JSON is returned under
    the key ``"trace"`` (a string). With ``functional=True`` the workload is executed first
    (``inputs``: numpy arrays by graph-input name; the others get seeded random values)
    and every tensor is costed at the density its values had, as ``--functional`` does.
    """
    report, trace_json = _native.run(
        _source(arch, "arch"),
        _source(workload, "workload"),
        engine_name=engine,
        launch_name=launch,
        fusion=bool(fusion),
        trace=trace,
        functional=functional,
        inputs=_npy_inputs(inputs),
        seed=seed,
        allow_unknown=allow_unknown,
        input_shapes={k: list(v) for k, v in (input_shapes or {}).items()},
    )
    out: Dict[str, Any] = json.loads(report)
    if trace_json is not None:
        out["trace"] = trace_json
    return out


def execute(
    arch: Source,
    workload: Source,
    inputs: Optional[Mapping[str, np.ndarray]] = None,
    *,
    seed: int = 0,
    allow_unknown: bool = False,
    input_shapes: Optional[Mapping[str, Sequence[int]]] = None,
) -> Dict[str, np.ndarray]:
    """Executes ``workload`` (a workload path/dict/JSON or an ``.onnx`` path, whose
    initializers are its weights) bit-exactly on ``arch`` and returns every graph output
    as a numpy array, by name, in the graph's output order.

    ``inputs`` maps graph-input names to numpy arrays (their dtype must be the one the
    input declares, or one ``.npy`` stores it as); inputs and weights without values get
    random values from ``seed``, as ``accelsim run --functional`` does.
    """
    outs = _native.execute(
        _source(arch, "arch"),
        _source(workload, "workload"),
        _npy_inputs(inputs),
        seed=seed,
        allow_unknown=allow_unknown,
        input_shapes={k: list(v) for k, v in (input_shapes or {}).items()},
    )
    return {name: np.load(io.BytesIO(data), allow_pickle=False) for name, data in outs}


def _f32(x: Any) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


def cast(
    x: Any,
    fmt: str,
    *,
    rounding: str = "rne",
    saturate: bool = False,
    seed: int = 0,
) -> np.ndarray:
    """Rounds every value of ``x`` to the format ``fmt`` (any name ``accelsim formats``
    lists: ``float8_e4m3fn``, ``int8``, ``mxfp4_e2m1``, ``bfp8_b16`` ...) and returns the
    rounded values as float32, in ``x``'s shape -- bit for bit what ``accelsim cast``
    writes as ``value_bits``.

    ``x`` is converted to float32 first (as the CLI parses f32). ``rounding`` is one of
    ``rne``, ``rna``, ``rtz``, ``up``, ``down``, ``stochastic``; ``saturate`` clamps
    overflow to the largest finite value (OCP saturation) instead of Inf/NaN; ``seed``
    seeds the stochastic stream (one draw per value, in C order). Block formats (MX, BFP)
    share a scale over runs of ``block`` consecutive values in C order.
    """
    return _native.cast(_f32(x), fmt, rounding=rounding, saturate=saturate, seed=seed)


def code_bits(fmt: str) -> int:
    """Width of ``fmt``'s code words as :func:`encode` returns them: 8, 16 or 32."""
    return _native.code_bits(fmt)


def encode(
    x: Any,
    fmt: str,
    *,
    rounding: str = "rne",
    saturate: bool = False,
    seed: int = 0,
) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
    """Encodes ``x`` to the codes of ``fmt``: a uint8/uint16/uint32 array (see
    :func:`code_bits`) of ``x``'s shape; integers are two's complement in the low bits.
    For MX formats returns ``(codes, scales)``, ``scales`` being the uint8 E8M0 scale of
    each block of consecutive values (C order). Options as :func:`cast`."""
    codes, scales = _native.encode(
        _f32(x), fmt, rounding=rounding, saturate=saturate, seed=seed
    )
    return codes if scales is None else (codes, scales)


def decode(codes: Any, fmt: str, scales: Optional[Any] = None) -> np.ndarray:
    """Decodes codes of ``fmt`` to float32 values of the same shape (``scales``: the
    blocks' E8M0 scale codes, MX formats only)."""
    dtype = {8: np.uint8, 16: np.uint16, 32: np.uint32}[code_bits(fmt)]
    c = np.ascontiguousarray(codes, dtype=dtype)
    s = None if scales is None else np.ascontiguousarray(scales, dtype=np.uint8)
    return _native.decode(c, fmt, s)


class SweepResult:
    """The rows of a sweep: ``columns`` (names, in order), ``rows`` (one dict per point,
    sorted by id) and ``pareto`` (the rows on the Pareto front)."""

    def __init__(self, columns: List[str], rows: str, front: str) -> None:
        self.columns: List[str] = list(columns)
        self.rows: List[Dict[str, Any]] = [json.loads(l) for l in rows.splitlines()]
        self.pareto: List[Dict[str, Any]] = [json.loads(l) for l in front.splitlines()]

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"SweepResult({len(self.rows)} rows, {len(self.pareto)} on the front)"


def _sweep_source(spec: Any) -> Tuple[str, str]:
    return _source(spec, "spec")


def sweep_info(spec: Any, *, base_dir: PathLike = ".") -> Dict[str, Any]:
    """Validates a sweep without evaluating it: ``{"name", "space_size", "points",
    "columns", "notes"}``."""
    name, size, points, columns, notes = _native.sweep_info(
        _sweep_source(spec), base_dir=os.fspath(base_dir)
    )
    return {
        "name": name,
        "space_size": size,
        "points": points,
        "columns": columns,
        "notes": notes,
    }


def sweep(
    spec: Any,
    *,
    out: Optional[PathLike] = None,
    shard: Optional[Tuple[int, int]] = None,
    threads: Optional[int] = None,
    resume: bool = False,
    pareto: Sequence[str] = (),
    base_dir: PathLike = ".",
) -> SweepResult:
    """Evaluates a sweep (a path, a dict or JSON text in the format of ``docs/sweep.md``;
    files named in a dict or JSON text resolve against ``base_dir``).

    With ``out``, writes results.csv, results.jsonl, pareto.csv and manifest.json there,
    byte for byte as ``accelsim sweep SPEC --out OUT`` does (``resume=True`` continues an
    interrupted run). ``shard=(k, n)`` evaluates shard k of n (as ``--shard k/n``);
    :func:`merge` combines the shard folders. ``threads`` (default: all cores) does not
    change any result. ``pareto`` overrides the sweep's objectives (``"latency_s"``,
    ``"accuracy:max"`` ...). The sweep's validation notes are issued as warnings.
    """
    columns, rows, front, notes = _native.sweep(
        _sweep_source(spec),
        base_dir=os.fspath(base_dir),
        out=None if out is None else os.fspath(out),
        shard=None if shard is None else (int(shard[0]), int(shard[1])),
        threads=threads,
        resume=resume,
        pareto=list(pareto),
    )
    for n in notes:
        warnings.warn(n, stacklevel=2)
    return SweepResult(columns, rows, front)


def merge(
    shards: Sequence[PathLike], out: PathLike, *, pareto: Sequence[str] = ()
) -> SweepResult:
    """Merges finished shard folders into ``out``, as ``accelsim sweep merge``: the files
    are identical to an unsharded run's."""
    columns, rows, front = _native.merge(
        [os.fspath(s) for s in shards], os.fspath(out), pareto=list(pareto)
    )
    return SweepResult(columns, rows, front)
