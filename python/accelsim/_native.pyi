"""Type stubs of the compiled extension ``accelsim._native`` (use the wrappers in
``accelsim``, which accept paths, dicts, JSON text and any array-like)."""

from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

class AccelsimError(ValueError):
    """Bad input: the message names the file, the JSON path and what was expected."""

Source = Tuple[str, str]
"""``("path", PATH)`` or ``("json", TEXT)``."""

Codes = Union[npt.NDArray[np.uint8], npt.NDArray[np.uint16], npt.NDArray[np.uint32]]

def cast(
    x: npt.NDArray[np.float32], fmt: str, rounding: str = "rne", saturate: bool = False, seed: int = 0
) -> npt.NDArray[np.float32]: ...
def encode(
    x: npt.NDArray[np.float32], fmt: str, rounding: str = "rne", saturate: bool = False, seed: int = 0
) -> Tuple[Codes, Optional[npt.NDArray[np.uint8]]]: ...
def decode(codes: Codes, fmt: str, scales: Optional[npt.NDArray[np.uint8]] = None) -> npt.NDArray[np.float32]: ...
def code_bits(fmt: str) -> int: ...
def run(
    arch: Source,
    workload: Source,
    engine_name: str = "event",
    launch_name: str = "graph",
    fusion: bool = True,
    trace: bool = False,
    functional: bool = False,
    inputs: Dict[str, bytes] = ...,
    seed: int = 0,
    allow_unknown: bool = False,
    input_shapes: Dict[str, List[int]] = ...,
) -> Tuple[str, Optional[str]]: ...
def execute(
    arch: Source,
    workload: Source,
    inputs: Dict[str, bytes],
    seed: int = 0,
    allow_unknown: bool = False,
    input_shapes: Dict[str, List[int]] = ...,
) -> List[Tuple[str, bytes]]: ...
def sweep_info(spec: Source, base_dir: str = ".") -> Tuple[str, int, int, List[str], List[str]]: ...
def sweep(
    spec: Source,
    base_dir: str = ".",
    out: Optional[str] = None,
    shard: Optional[Tuple[int, int]] = None,
    threads: Optional[int] = None,
    resume: bool = False,
    pareto: Sequence[str] = ...,
) -> Tuple[List[str], str, str, List[str]]: ...
def merge(shards: Sequence[str], out: str, pareto: Sequence[str] = ...) -> Tuple[List[str], str, str]: ...
