"""Reading role configuration files (spec 40 section 6.1).

The reference reads JSON with TON's TL-JSON mapper: missing keys take zero values, integers may
be digit strings, booleans may be `"1"`/`"0"`, `int256` fields are base64 of 32 bytes, unknown
keys are ignored. We accept the same files, convert them with these coercions into an attrs
config class (which validates itself at construction), warn about unknown keys, and fail at
start-up with a message naming the file and the key.

A role started from the command line also reads `COCOON_<KEY>` environment variables (the
key in upper case: `COCOON_HTTP_HOST`, `COCOON_LEDGER`), which override the file's keys: the
few settings a container or a service manager sets without writing a file.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self, TypeVar

import attrs

from cocoon.errors import ConfigError
from cocoon.roles.seal.keys import KeySource

log = logging.getLogger("cocoon.config")
C = TypeVar("C")

ENV_PREFIX = "COCOON_"

# A role's own attestation, the `tdx` key ("fake" is short for "fake_tdx").
TDX_MODES = ("none", "fake", "fake_tdx", "tdx")


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def to_port(value: Any) -> int:
    """A TCP port to listen on: 0 (any free one) to 65535."""
    port = to_int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"expected a port (0 to 65535), got {port}")
    return port


def to_nonneg_int(value: Any) -> int:
    """A size, count or amount: an integer >= 0."""
    n = to_int(value)
    if n < 0:
        raise ValueError(f"expected an integer >= 0, got {n}")
    return n


def to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return float(value)
    raise ValueError(f"expected a number, got {value!r}")


def to_nonneg_float(value: Any) -> float:
    """An interval, timeout or weight: a number >= 0."""
    x = to_float(value)
    if not x >= 0:  # NaN fails too
        raise ValueError(f"expected a number >= 0, got {x}")
    return x


def to_interval(value: Any) -> float:
    """How often a loop runs: a number of seconds > 0 (0 would make it spin)."""
    x = to_float(value)
    if not x > 0:  # NaN fails too
        raise ValueError(f"expected a number of seconds > 0, got {x}")
    return x


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "0", "false", ""):
        return value.strip().lower() in ("1", "true")
    raise ValueError(f"expected a boolean, got {value!r}")


def to_optional_bytes32(value: Any) -> bytes | None:
    """A 32-byte value given as base64 (the reference's int256) or hex; `""`/None = absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            data = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error) as e:
            raise ValueError(f"expected 32 bytes as base64 or hex, got {value!r}") from e
    else:
        raise ValueError(f"expected 32 bytes as base64 or hex, got {value!r}")
    if len(data) != 32:
        raise ValueError(f"expected 32 bytes, got {len(data)}")
    return data


def load_mapping(path: str | Path) -> dict[str, Any]:
    """The JSON object in `path`, or `ConfigError`."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level")
    return data


def from_mapping(cls: type[C], data: Mapping[str, Any], *, source: str = "config") -> C:
    """Build the attrs class `cls` from `data`, by field name (or `metadata["key"]`)."""
    fields = {f.metadata.get("key", f.name): f for f in attrs.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    for key in unknown:
        log.warning("%s: unknown key %r ignored", source, key)
    missing = [key for key, f in fields.items() if f.default is attrs.NOTHING and key not in data]
    if missing:
        raise ConfigError(f"{source}: missing required key {', '.join(map(repr, missing))}")
    kwargs = {}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            continue
        if field.converter is not None:
            try:
                value = field.converter(value)  # type: ignore[call-arg]
            except (TypeError, ValueError) as e:
                raise ConfigError(f"{source}: {key}: {e}") from e
        elif field.type in (str, "str") and not isinstance(value, str):
            # The type name only: the value may be a secret (`secret_string`).
            raise ConfigError(f"{source}: {key}: expected a string, got {type(value).__name__}")
        kwargs[field.alias or field.name] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        # attrs' validators raise with (message, attribute, ...): the message alone.
        message = e.args[0] if len(e.args) > 1 and isinstance(e.args[0], str) else e
        raise ConfigError(f"{source}: {message}") from e


def env_overrides(cls: type, environ: Mapping[str, str]) -> dict[str, Any]:
    """The keys of the attrs config `cls` that `environ` sets as `COCOON_<KEY>`. Values stay
    text for the field's converter (numbers, booleans and lists are read from text as in the
    files), except JSON objects and arrays (`COCOON_KEYS='{"wallet": {"file": "w.key"}}'`)."""
    out: dict[str, Any] = {}
    for field in attrs.fields(cls):
        key = field.metadata.get("key", field.name)
        name = ENV_PREFIX + key.upper()
        if name not in environ:
            continue
        value: Any = environ[name]
        if value.lstrip().startswith(("{", "[")):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as e:
                raise ConfigError(f"{name}: not valid JSON: {e}") from e
        out[key] = value
    return out


class FromFile:
    """Mixin for a role's attrs config: `Config.load(path)` and `Config.from_dict(data)`."""

    @classmethod
    def load(cls, path: str | Path, *, environ: Mapping[str, str] | None = None) -> Self:
        """The config in the file `path`, with the keys `environ` overrides (`env_overrides`)
        when it is given."""
        data = load_mapping(path)
        overrides = env_overrides(cls, environ) if environ is not None else {}
        source = str(path)
        if overrides:
            names = ", ".join(ENV_PREFIX + key.upper() for key in sorted(overrides))
            # Names only: the values may be keys.
            log.info("%s: %s from the environment", path, names)
            source = f"{path} (with {names} from the environment)"
        return from_mapping(cls, data | overrides, source=source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return from_mapping(cls, data, source=f"{cls.__name__}")


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()  # the reference's int256 form
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, KeySource):
        if value.file is None:
            raise ValueError("a seal key source has no JSON form here; write it by hand")
        return {"file": str(value.file)}
    return value


def to_mapping(config: Any) -> dict[str, Any]:
    """The JSON-ready mapping `from_mapping` reads back into an equal config: keys by their
    config names, bytes as base64, paths as text; fields left at None are omitted."""
    out: dict[str, Any] = {}
    for field in attrs.fields(type(config)):
        value = getattr(config, field.name)
        if value is not None:
            out[field.metadata.get("key", field.name)] = _json_value(value)
    return out
